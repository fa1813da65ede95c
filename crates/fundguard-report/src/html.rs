//! `report.html`: one self-contained page (inline CSS, SVG and a few lines of script; nothing is
//! fetched), in Chinese with an English switch.

use std::fmt::Write;

use fundguard_model::Language;

use crate::{family_zh, kind_zh, money, Report};

/// Escapes text for HTML content and attributes.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text in both languages; the page shows one.
fn both(zh: &str, en: &str) -> String {
    format!(
        "<span class=\"zh\">{}</span><span class=\"en\">{}</span>",
        esc(zh),
        esc(en)
    )
}

const STYLE: &str = r#"
:root { --ink:#1d2733; --muted:#5b6b7c; --line:#d8dee6; --accent:#b3261e; --bar:#2f6fb0; }
* { box-sizing: border-box; }
body { font-family: "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; color: var(--ink); margin: 0; background: #f6f8fa; }
header { background: #12324f; color: #fff; padding: 16px 28px; display: flex; justify-content: space-between; align-items: center; }
header h1 { font-size: 20px; margin: 0; }
header .meta { font-size: 12px; opacity: .8; }
main { padding: 20px 28px; max-width: 1280px; margin: 0 auto; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 16px 20px; margin-bottom: 18px; }
h2 { font-size: 17px; margin: 0 0 12px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; }
.card .v { font-size: 22px; font-weight: 600; }
.card .k { font-size: 12px; color: var(--muted); }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #eef2f6; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.ref { color: var(--accent); font-weight: 600; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
details { margin: 4px 0; }
details summary { cursor: pointer; }
.hit { margin: 6px 0 6px 12px; font-size: 13px; }
.hit .rule { color: var(--muted); font-size: 12px; }
code { font-size: 12px; }
pre { white-space: pre-wrap; font-size: 12px; background: #f6f8fa; padding: 8px; }
.status { font-size: 11px; border: 1px solid var(--line); border-radius: 3px; padding: 0 4px; margin-left: 4px; }
button#lang { background: #fff; color: #12324f; border: 0; border-radius: 4px; padding: 6px 12px; cursor: pointer; }
html[lang="zh"] .en, html[lang="en"] .zh { display: none; }
@media print { header button { display: none; } }
"#;

const SCRIPT: &str = r#"
document.getElementById('lang').addEventListener('click', function () {
  var h = document.documentElement;
  h.lang = h.lang === 'zh' ? 'en' : 'zh';
});
"#;

/// A horizontal bar chart as inline SVG.
fn bars(title: &str, rows: &[(String, i64)]) -> String {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1);
    let (label_w, bar_w, row_h) = (230.0, 280.0, 24.0);
    let h = row_h * rows.len().max(1) as f64 + 10.0;
    let mut s = format!(
        "<svg role=\"img\" aria-label=\"{}\" width=\"100%\" viewBox=\"0 0 {} {h}\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(title),
        label_w + bar_w + 110.0
    );
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = 5.0 + row_h * i as f64;
        let w = bar_w * (*v).max(0) as f64 / max as f64;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\">{}</text>\
             <rect x=\"{}\" y=\"{}\" width=\"{w:.1}\" height=\"{}\" fill=\"#2f6fb0\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>",
            label_w - 6.0,
            y + 15.0,
            esc(label),
            label_w,
            y + 3.0,
            row_h - 8.0,
            label_w + w + 6.0,
            y + 15.0,
            esc(&money(*v))
        );
    }
    s.push_str("</svg>");
    s
}

/// The report page.
pub fn html(r: &Report<'_>) -> String {
    let mut s = String::new();
    let total = r.total_fen();
    let referral = r.leads.iter().filter(|l| l.referral).count();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>fundguard 医保基金监管线索报告 {run}</title><style>{STYLE}</style></head><body>\
         <header><div><h1>{title}</h1><div class=\"meta\">run {run} · fundguard {ver} · {input}</div></div>\
         <button id=\"lang\" type=\"button\">中文 / English</button></header><main>",
        run = esc(r.run_id),
        title = both("医保基金监管线索报告", "Medical-insurance fund supervision: leads report"),
        ver = esc(r.version),
        input = esc(r.input),
    );

    // Summary.
    let card = |v: String, zh: &str, en: &str| {
        format!(
            "<div class=\"card\"><div class=\"v\">{}</div><div class=\"k\">{}</div></div>",
            esc(&v),
            both(zh, en)
        )
    };
    let _ = write!(
        s,
        "<section id=\"summary\"><h2>{}</h2><div class=\"cards\">{}{}{}{}{}{}</div></section>",
        both("运行概况", "Run summary"),
        card(r.rows_read.to_string(), "读取记录", "rows read"),
        card(r.rows_rejected.to_string(), "拒收记录", "rows rejected"),
        card(r.hits_zh.len().to_string(), "规则命中", "rule hits"),
        card(r.leads.len().to_string(), "线索", "leads"),
        card(
            referral.to_string(),
            &format!("达到移送标准（≥{} 元）", r.referral_yuan),
            &format!("for referral (≥ {} yuan)", r.referral_yuan)
        ),
        card(money(total), "涉及金额（元）", "money at risk (yuan)"),
    );

    // Charts.
    let fams: Vec<(String, i64)> = r
        .by_family()
        .into_iter()
        .map(|(f, v)| (format!("{} {f}", family_zh(&f)), v))
        .collect();
    let kinds = r.institutions();
    let kind_rows: Vec<(String, i64)> = kinds
        .iter()
        .map(|(k, v)| (format!("{} {k}", kind_zh(k)), v.amount_fen))
        .collect();
    let _ = write!(
        s,
        "<section id=\"charts\"><h2>{}</h2><div class=\"charts\"><div><h3>{}</h3>{}</div><div><h3>{}</h3>{}</div></div></section>",
        both("涉及金额分布", "Money at risk"),
        both("按违规类型", "By family"),
        bars("by family", &fams),
        both("按机构类型", "By kind of institution"),
        bars("by kind of institution", &kind_rows),
    );

    // Monthly statistics table.
    let _ = write!(
        s,
        "<section id=\"stats\"><h2>{}</h2><table><tr><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr>",
        both("监督检查情况统计表（本期数据）", "Supervision statistics (this dump)"),
        both("定点医药机构类型", "Kind of designated institution"),
        both("机构总数", "In the dump"),
        both("涉及线索机构数", "With leads"),
        both("涉及金额（元）", "Money at risk (yuan)"),
    );
    let (mut t, mut f, mut a) = (0, 0, 0);
    for (k, v) in &kinds {
        let _ = write!(
            s,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            both(kind_zh(k), k),
            v.total,
            v.flagged,
            money(v.amount_fen)
        );
        t += v.total;
        f += v.flagged;
        a += v.amount_fen;
    }
    let _ = write!(
        s,
        "<tr><th>{}</th><th class=\"num\">{t}</th><th class=\"num\">{f}</th><th class=\"num\">{}</th></tr></table></section>",
        both("合计", "Total"),
        money(a)
    );

    // Top leads with their evidence.
    let _ = write!(
        s,
        "<section id=\"leads\"><h2>{}</h2><table><tr><th class=\"num\">{}</th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th>{}</th></tr>",
        both(
            &format!("重点线索（前 {} 条）", r.top.min(r.leads.len())),
            &format!("Top leads (first {})", r.top.min(r.leads.len()))
        ),
        both("排名", "Rank"),
        both("线索编号", "Lead"),
        both("对象", "Subject"),
        both("评分", "Score"),
        both("涉及金额（元）", "Amount (yuan)"),
        both("摘要与证据", "Headline and evidence"),
    );
    for l in r.leads.iter().take(r.top) {
        let mut ev = String::new();
        for &i in &l.hits {
            let (zh, en) = (&r.hits(Language::Zh)[i], &r.hits(Language::En)[i]);
            let _ = write!(
                ev,
                "<div class=\"hit\"><span class=\"rule\">{} · <code>{}</code> · {} 元 · {:.2}</span><br>{}</div>",
                both(&r.names.get(&zh.rule_id, Language::Zh), &r.names.get(&zh.rule_id, Language::En)),
                esc(&zh.rule_id),
                money(zh.amount_fen),
                zh.severity,
                both(&zh.evidence, &en.evidence),
            );
        }
        let (dossier, dossier_text) = if (l.rank as usize) <= r.dossiers {
            (
                format!(
                    " · <a href=\"cases/{}.md\">{}</a>",
                    esc(&l.lead_id),
                    both("案件材料", "case dossier")
                ),
                format!(
                    "<details class=\"dossier\"><summary>{}</summary><pre>{}</pre></details>",
                    both(
                        "案件材料（曝光台案例格式）",
                        "Case dossier (exposure-case format, Chinese)"
                    ),
                    esc(&crate::dossier(r, l))
                ),
            )
        } else {
            (String::new(), String::new())
        };
        let _ = write!(
            s,
            "<tr id=\"{id}\"><td class=\"num\">{rank}</td><td><code class=\"lead-id\">{id}</code>{dossier}</td><td>{who}<br><code>{sid}</code></td>\
             <td class=\"num\">{score:.3}</td><td class=\"num{refc}\">{amount}</td>\
             <td><div>{head}{status}</div><details><summary>{n}</summary>{ev}</details>{dossier_text}</td></tr>",
            id = esc(&l.lead_id),
            rank = l.rank,
            who = both(subject_zh(&l.subject_type), &l.subject_type),
            sid = esc(&l.subject_id),
            score = l.score,
            refc = if l.referral { " ref" } else { "" },
            amount = money(l.amount_fen),
            head = both(&l.headlines[0], &l.headlines[1]),
            status = match l.status.as_deref() {
                Some("new") => format!(" <span class=\"status\">{}</span>", both("新增", "new")),
                Some("escalated") => format!(" <span class=\"status ref\">{}</span>", both("升级", "escalated")),
                Some("recurring") => format!(" <span class=\"status\">{}</span>", both("持续", "recurring")),
                _ => String::new(),
            },
            n = both(
                &format!("{} 条命中（{}）", l.hit_count, l.families.iter().map(|f| family_zh(f)).collect::<Vec<_>>().join("、")),
                &format!("{} hits ({})", l.hit_count, l.families.join(", "))
            ),
        );
    }
    s.push_str("</table></section>");

    // Rules.
    let _ = write!(
        s,
        "<section id=\"rules\"><h2>{}</h2><table><tr><th>{}</th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr>",
        both("规则运行情况", "Rules"),
        both("规则", "Rule"),
        both("类型", "Family"),
        both("状态", "Status"),
        both("命中", "Hits"),
        both("金额（元）", "Amount (yuan)"),
    );
    for rl in &r.rules {
        let status = match rl.status.as_str() {
            "ran" => both("已运行", "ran"),
            "skipped" => both(
                &format!("跳过：{}", rl.note),
                &format!("skipped: {}", rl.note),
            ),
            _ => both(
                &format!("失败：{}", rl.note),
                &format!("failed: {}", rl.note),
            ),
        };
        let _ = write!(
            s,
            "<tr><td>{}<br><code>{}</code></td><td>{}</td><td>{status}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            both(&r.names.get(&rl.rule_id, Language::Zh), &r.names.get(&rl.rule_id, Language::En)),
            esc(&rl.rule_id),
            both(family_zh(&rl.family), &rl.family),
            rl.hits,
            money(rl.amount_fen)
        );
    }
    let _ = writeln!(
        s,
        "</table></section></main><footer style=\"padding:12px 28px;font-size:12px;color:#5b6b7c\">{}</footer><script>{SCRIPT}</script></body></html>",
        both(
            "本报告由 fundguard 根据结算数据自动生成，线索需经核查确认，不作为处理依据。",
            "Generated by fundguard from settlement data. Leads are to be verified by inspection; they are not findings."
        )
    );
    s
}

fn subject_zh(t: &str) -> &'static str {
    match t {
        "provider" => "定点机构",
        "patient" => "参保人",
        "doctor" => "医师",
        _ => "就诊",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn bars_scale_to_the_largest() {
        let svg = bars("t", &[("a".into(), 100), ("b".into(), 50)]);
        assert!(svg.contains("width=\"280.0\""), "{svg}");
        assert!(svg.contains("width=\"140.0\""), "{svg}");
    }
}
