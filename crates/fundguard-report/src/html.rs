//! `report.html`: one self-contained page (inline CSS, SVG and a few lines of script; nothing is
//! fetched), in Chinese with an English switch.
//!
//! The page is a `maud` template: every value is escaped by the template engine, and text from
//! the dump additionally goes through [`Text`], which replaces characters that XML and HTML do
//! not allow (control characters, noncharacters) with U+FFFD, so no input can break the page.

use maud::{html, Markup, PreEscaped, Render, DOCTYPE};

use fundguard_model::{Fen, Language};

use crate::{family_zh, kind_zh, money, Report};

/// Text for the page: escaped by maud, with characters illegal in XML/HTML replaced by U+FFFD.
pub(crate) struct Text<'a>(pub &'a str);

/// Is `c` a character an HTML or XML document may hold?
fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r')
        || !(c.is_control() || matches!(c as u32, 0xFFFE | 0xFFFF | 0xFDD0..=0xFDEF))
}

impl Render for Text<'_> {
    fn render_to(&self, out: &mut String) {
        if self.0.chars().all(allowed) {
            self.0.render_to(out);
        } else {
            let clean: String = self
                .0
                .chars()
                .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
                .collect();
            clean.as_str().render_to(out);
        }
    }
}

/// Text in both languages; the page shows one.
fn both(zh: &str, en: &str) -> Markup {
    html! {
        span class="zh" { (Text(zh)) }
        span class="en" { (Text(en)) }
    }
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
fn bars(title: &str, rows: &[(String, i64)]) -> Markup {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1);
    let (label_w, bar_w, row_h) = (230.0, 280.0, 24.0);
    let h = row_h * rows.len().max(1) as f64 + 10.0;
    html! {
        svg role="img" aria-label=(Text(title)) width="100%"
            viewBox=(format!("0 0 {} {h}", label_w + bar_w + 110.0)) xmlns="http://www.w3.org/2000/svg" {
            @for (i, (label, v)) in rows.iter().enumerate() {
                @let y = 5.0 + row_h * i as f64;
                @let w = bar_w * (*v).max(0) as f64 / max as f64;
                text x=(label_w - 6.0) y=(y + 15.0) font-size="12" text-anchor="end" { (Text(label)) }
                rect x=(label_w) y=(y + 3.0) width=(format!("{w:.1}")) height=(row_h - 8.0) fill="#2f6fb0" {}
                text x=(label_w + w + 6.0) y=(y + 15.0) font-size="12" { (money(*v)) }
            }
        }
    }
}

fn card(v: String, zh: &str, en: &str) -> Markup {
    html! {
        div class="card" {
            div class="v" { (v) }
            div class="k" { (both(zh, en)) }
        }
    }
}

fn status(s: Option<&str>) -> Markup {
    html! {
        @match s {
            Some("new") => { " " span class="status" { (both("新增", "new")) } }
            Some("escalated") => { " " span class="status ref" { (both("升级", "escalated")) } }
            Some("recurring") => { " " span class="status" { (both("持续", "recurring")) } }
            _ => {}
        }
    }
}

/// The report page.
pub fn html(r: &Report<'_>) -> String {
    let total = r.total_fen();
    let referral = r.leads.iter().filter(|l| l.referral).count();
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
    let (t, f, a) = kinds.iter().fold((0, 0, Fen::ZERO), |(t, f, a), (_, v)| {
        (t + v.total, f + v.flagged, a + Fen(v.amount_fen))
    });
    let shown = r.top.min(r.leads.len());
    let page = html! {
        (DOCTYPE)
        html lang="zh" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "fundguard 医保基金监管线索报告 " (Text(r.run_id)) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    div {
                        h1 { (both("医保基金监管线索报告", "Medical-insurance fund supervision: leads report")) }
                        div class="meta" {
                            "run " (Text(r.run_id)) " · fundguard " (Text(r.version)) " · " (Text(r.input))
                        }
                    }
                    button id="lang" type="button" { "中文 / English" }
                }
                main {
                    section id="summary" {
                        h2 { (both("运行概况", "Run summary")) }
                        div class="cards" {
                            (card(r.rows_read.to_string(), "读取记录", "rows read"))
                            (card(r.rows_rejected.to_string(), "拒收记录", "rows rejected"))
                            (card(r.hits_zh.len().to_string(), "规则命中", "rule hits"))
                            (card(r.leads.len().to_string(), "线索", "leads"))
                            (card(
                                referral.to_string(),
                                &format!("达到移送标准（≥{} 元）", r.referral_yuan),
                                &format!("for referral (≥ {} yuan)", r.referral_yuan),
                            ))
                            (card(money(total), "涉及金额（元）", "money at risk (yuan)"))
                        }
                    }
                    section id="charts" {
                        h2 { (both("涉及金额分布", "Money at risk")) }
                        div class="charts" {
                            div { h3 { (both("按违规类型", "By family")) } (bars("by family", &fams)) }
                            div {
                                h3 { (both("按机构类型", "By kind of institution")) }
                                (bars("by kind of institution", &kind_rows))
                            }
                        }
                    }
                    section id="stats" {
                        h2 { (both("监督检查情况统计表（本期数据）", "Supervision statistics (this dump)")) }
                        table {
                            tr {
                                th { (both("定点医药机构类型", "Kind of designated institution")) }
                                th class="num" { (both("机构总数", "In the dump")) }
                                th class="num" { (both("涉及线索机构数", "With leads")) }
                                th class="num" { (both("涉及金额（元）", "Money at risk (yuan)")) }
                            }
                            @for (k, v) in &kinds {
                                tr {
                                    td { (both(kind_zh(k), k)) }
                                    td class="num" { (v.total) }
                                    td class="num" { (v.flagged) }
                                    td class="num" { (money(v.amount_fen)) }
                                }
                            }
                            tr {
                                th { (both("合计", "Total")) }
                                th class="num" { (t) }
                                th class="num" { (f) }
                                th class="num" { (money(a.0)) }
                            }
                        }
                    }
                    section id="leads" {
                        h2 {
                            (both(
                                &format!("重点线索（前 {shown} 条）"),
                                &format!("Top leads (first {shown})"),
                            ))
                        }
                        table {
                            tr {
                                th class="num" { (both("排名", "Rank")) }
                                th { (both("线索编号", "Lead")) }
                                th { (both("对象", "Subject")) }
                                th class="num" { (both("评分", "Score")) }
                                th class="num" { (both("涉及金额（元）", "Amount (yuan)")) }
                                th { (both("摘要与证据", "Headline and evidence")) }
                            }
                            @for l in r.leads.iter().take(r.top) {
                                @let with_dossier = (l.rank as usize) <= r.dossiers;
                                tr id=(Text(&l.lead_id)) {
                                    td class="num" { (l.rank) }
                                    td {
                                        code class="lead-id" { (Text(&l.lead_id)) }
                                        @if with_dossier {
                                            " · "
                                            a href=(format!("cases/{}.md", l.lead_id)) { (both("案件材料", "case dossier")) }
                                        }
                                    }
                                    td { (both(subject_zh(&l.subject_type), &l.subject_type)) br; code { (Text(&l.subject_id)) } }
                                    td class="num" { (format!("{:.3}", l.score)) }
                                    td class=(if l.referral { "num ref" } else { "num" }) { (money(l.amount_fen)) }
                                    td {
                                        div { (both(&l.headlines[0], &l.headlines[1])) (status(l.status.as_deref())) }
                                        details {
                                            summary {
                                                (both(
                                                    &format!(
                                                        "{} 条命中（{}）",
                                                        l.hit_count,
                                                        l.families.iter().map(|f| family_zh(f)).collect::<Vec<_>>().join("、")
                                                    ),
                                                    &format!("{} hits ({})", l.hit_count, l.families.join(", ")),
                                                ))
                                            }
                                            @for &i in &l.hits {
                                                @let (zh, en) = (&r.hits(Language::Zh)[i], &r.hits(Language::En)[i]);
                                                div class="hit" {
                                                    span class="rule" {
                                                        (both(&r.names.get(&zh.rule_id, Language::Zh), &r.names.get(&zh.rule_id, Language::En)))
                                                        " · " code { (Text(&zh.rule_id)) }
                                                        " · " (money(zh.amount_fen)) " 元 · " (format!("{:.2}", zh.severity))
                                                    }
                                                    br;
                                                    (both(&zh.evidence, &en.evidence))
                                                }
                                            }
                                        }
                                        @if with_dossier {
                                            details class="dossier" {
                                                summary { (both("案件材料（曝光台案例格式）", "Case dossier (exposure-case format, Chinese)")) }
                                                pre { (Text(&crate::dossier(r, l))) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    section id="rules" {
                        h2 { (both("规则运行情况", "Rules")) }
                        table {
                            tr {
                                th { (both("规则", "Rule")) }
                                th { (both("类型", "Family")) }
                                th { (both("状态", "Status")) }
                                th class="num" { (both("命中", "Hits")) }
                                th class="num" { (both("金额（元）", "Amount (yuan)")) }
                            }
                            @for rl in &r.rules {
                                tr {
                                    td {
                                        (both(&r.names.get(&rl.rule_id, Language::Zh), &r.names.get(&rl.rule_id, Language::En)))
                                        br; code { (Text(&rl.rule_id)) }
                                    }
                                    td { (both(family_zh(&rl.family), &rl.family)) }
                                    td {
                                        @match rl.status.as_str() {
                                            "ran" => { (both("已运行", "ran")) }
                                            "skipped" => { (both(&format!("跳过：{}", rl.note), &format!("skipped: {}", rl.note))) }
                                            _ => { (both(&format!("失败：{}", rl.note), &format!("failed: {}", rl.note))) }
                                        }
                                    }
                                    td class="num" { (rl.hits) }
                                    td class="num" { (money(rl.amount_fen)) }
                                }
                            }
                        }
                    }
                }
                footer style="padding:12px 28px;font-size:12px;color:#5b6b7c" {
                    (both(
                        "本报告由 fundguard 根据结算数据自动生成，线索需经核查确认，不作为处理依据。",
                        "Generated by fundguard from settlement data. Leads are to be verified by inspection; they are not findings.",
                    ))
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    page.into_string() + "\n"
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
    fn escapes_markup_and_replaces_illegal_characters() {
        let out = html! { (Text("<a href=\"x\">&\u{1}\u{FFFF}ok\n")) }.into_string();
        assert_eq!(out, "&lt;a href=&quot;x&quot;&gt;&amp;\u{FFFD}\u{FFFD}ok\n");
    }

    #[test]
    fn bars_scale_to_the_largest() {
        let svg = bars("t", &[("a".into(), 100), ("b".into(), 50)]).into_string();
        assert!(svg.contains("width=\"280.0\""), "{svg}");
        assert!(svg.contains("width=\"140.0\""), "{svg}");
    }
}
