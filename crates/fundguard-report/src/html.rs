//! `report.html`: one self-contained page (inline CSS, SVG and a few lines of script; nothing is
//! fetched), in Chinese with an English switch.
//!
//! The page is a `maud` template: every value is escaped by the template engine, and text from
//! the dump additionally goes through [`Text`], which replaces characters that XML and HTML do
//! not allow (control characters, noncharacters) with U+FFFD, so no input can break the page.

use std::collections::BTreeMap;

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
.card.text .v { font-size: 15px; word-break: break-all; }
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
.controls { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-bottom: 10px; }
.controls input[type=search] { flex: 1 1 320px; padding: 6px 8px; border: 1px solid var(--line); border-radius: 4px; font-size: 13px; }
.controls select { padding: 5px; border: 1px solid var(--line); border-radius: 4px; font-size: 13px; max-width: 230px; }
.count { color: var(--muted); font-size: 12px; margin-left: auto; }
th.sort { cursor: pointer; user-select: none; }
th.sort[aria-sort=ascending]::after { content: " ▲"; font-size: 10px; }
th.sort[aria-sort=descending]::after { content: " ▼"; font-size: 10px; }
.muted { color: var(--muted); font-size: 12px; }
.status.escalated { color: var(--accent); border-color: var(--accent); }
body.on-lead main > section:not(#lead-page) { display: none; }
#lead-page .back { font-size: 13px; }
#lead-page .headline { font-size: 15px; }
.picture-box { margin: 8px 0 14px; }
.picture-box svg { border: 1px solid var(--line); border-radius: 4px; background: #fff; }
.legend { display: flex; gap: 16px; font-size: 12px; color: var(--muted); margin-top: 6px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -2px; border-radius: 2px; }
figcaption { font-size: 12px; color: var(--muted); margin-top: 4px; }
.chain { margin-bottom: 12px; }
.chain .code { font-size: 13px; margin-bottom: 4px; }
.chain-cards { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; }
.sale { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; font-size: 12px; min-width: 170px; }
.sale.flagged { border: 2px solid var(--accent); }
.sale .when { font-weight: 600; }
.arrow { color: var(--muted); font-size: 18px; }
table.hits td { font-size: 12px; }
"#;

/// The page's script: the lead table's search, filters and sort, the lead pages with their
/// pictures, the language switch.
const SCRIPT: &str = include_str!("report.js");

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

/// Hits listed on a lead's page (the rest are in hits.parquet and the dossier).
const HITS_PER_LEAD: usize = 30;

/// The month against the baseline run and the feedback's past precision, as cards.
fn comparison(r: &Report<'_>) -> Markup {
    html! {
        @if r.baseline.is_some() || r.feedback.is_some() {
            section id="comparison" {
                h2 { (both("与上期比较及核查反馈", "Against the baseline run, and the inspectors' feedback")) }
                @if let Some(b) = r.baseline {
                    @let count = |k: &str| b.counts.get(k).copied().unwrap_or(0);
                    @let carried = count("recurring") + count("escalated");
                    div class="cards" id="baseline-cards" {
                        (card(count("new").to_string(), "新增线索", "new leads"))
                        (card(count("recurring").to_string(), "持续线索", "recurring leads"))
                        (card(count("escalated").to_string(), "升级线索（金额增 20% 或新规则）", "escalated (20% more money or a new rule)"))
                        (card(b.leads.saturating_sub(carried).to_string(), "上期线索本期未再出现", "baseline leads not seen again"))
                        (card(b.leads.to_string(), "上期线索", "leads in the baseline"))
                    }
                }
                @if let Some(f) = r.feedback {
                    div class="cards" id="feedback-cards" style="margin-top:12px" {
                        (card(
                            f.past_precision.map_or("—".to_string(), |p| format!("{:.1}%", p * 100.0)),
                            "以往核查准确率（确认/已判定）",
                            "past precision (confirmed / judged)",
                        ))
                        (card(f.confirmed.to_string(), "以往确认违规", "confirmed before"))
                        (card(f.false_positive.to_string(), "以往误报", "false positives before"))
                        (card(f.whitelist.to_string(), "白名单条目", "whitelist entries"))
                        (card(f.suppressed_hits.to_string(), "白名单屏蔽命中", "hits whitelisted"))
                        (card(f.leads_confirmed_before.to_string(), "本期线索曾被确认", "leads confirmed before"))
                        (card(f.leads_false_positive_before.to_string(), "本期线索曾判误报", "leads judged false before"))
                    }
                }
            }
        }
    }
}

/// The page's data: the leads of the table, the hits their pages list, the rules' names and the
/// pictures, as JSON that the script reads. `<` and the characters HTML does not allow are
/// escaped, so no text from the dump can close the script element or break the page.
fn data(r: &Report<'_>) -> String {
    use serde_json::{json, Map, Value};
    let n = if r.top == 0 {
        r.leads.len()
    } else {
        r.top.min(r.leads.len())
    };
    let mut position: BTreeMap<usize, usize> = BTreeMap::new();
    let mut shown: Vec<usize> = Vec::new();
    let mut rules: BTreeMap<&str, Value> = BTreeMap::new();
    let mut leads = Vec::with_capacity(n);
    for l in &r.leads[..n] {
        let mut hits = Vec::new();
        for &i in l.hits.iter().take(HITS_PER_LEAD) {
            let at = *position.entry(i).or_insert_with(|| {
                shown.push(i);
                shown.len() - 1
            });
            hits.push(at);
        }
        // A lead's rules are those of all its hits, so these name every hit shown.
        for id in &l.rule_ids {
            rules.entry(id.as_str()).or_insert_with(|| {
                json!([r.names.get(id, Language::Zh), r.names.get(id, Language::En)])
            });
        }
        let facts = l.provider_id.as_ref().and_then(|p| r.providers.get(p));
        let kind = l
            .provider_id
            .as_ref()
            .and_then(|p| r.provider_types.get(p))
            .map_or("unknown", String::as_str);
        leads.push(json!({
            "rank": l.rank,
            "id": l.lead_id,
            "subject_type": l.subject_type,
            "subject": l.subject_id,
            "provider": l.provider_id,
            "provider_name": facts.and_then(|f| f.name.as_deref()),
            "kind": kind,
            "score": (l.score * 1000.0).round() / 1000.0,
            "fen": l.amount_fen,
            "referral": l.referral,
            "status": l.status,
            "families": l.families,
            "rules": l.rule_ids,
            "headline": l.headlines,
            "hit_count": l.hit_count,
            "hits": hits,
            "points": l.points,
            "points_ytd": l.points_ytd,
            "dossier": (l.rank as usize) <= r.dossiers,
        }));
    }
    let hits: Vec<Value> = shown
        .iter()
        .map(|&i| {
            let (zh, en) = (&r.hits_zh[i], &r.hits_en[i]);
            json!({
                "rule": zh.rule_id,
                "family": zh.family,
                "fen": zh.amount_fen,
                "severity": (zh.severity * 100.0).round() / 100.0,
                "evidence": [zh.evidence, en.evidence],
                "visit": zh.visit_id,
                "lines": zh.line_ids.iter().take(8).collect::<Vec<_>>(),
                "line_count": zh.line_ids.len(),
            })
        })
        .collect();
    let mut families = Map::new();
    for f in r.leads.iter().flat_map(|l| &l.families) {
        families.insert(f.clone(), json!(family_zh(f)));
    }
    let mut kinds = Map::new();
    for k in ["hospital", "clinic", "pharmacy", "unknown"] {
        kinds.insert(k.into(), json!(kind_zh(k)));
    }
    let pictures: Map<String, Value> = r.leads[..n]
        .iter()
        .filter_map(|l| {
            r.pictures.get(&l.lead_id).map(|p| {
                (
                    l.lead_id.clone(),
                    serde_json::to_value(p).expect("pictures serialise"),
                )
            })
        })
        .collect();
    let doc = json!({
        "leads": leads,
        "hits": hits,
        "rules": rules,
        "families": families,
        "kinds": kinds,
        "pictures": pictures,
        "pictures_for": r.pictures_for,
        "hits_per_lead": HITS_PER_LEAD,
        "referral_yuan": r.referral_yuan,
    });
    let text = serde_json::to_string(&doc).expect("the page's data serialise");
    let mut out = String::with_capacity(text.len() + 64);
    for c in text.chars() {
        if c == '<' || !allowed(c) {
            // Only strings can hold these, and every one is in the Basic Multilingual Plane.
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
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
    let families: std::collections::BTreeSet<&str> = r
        .leads
        .iter()
        .flat_map(|l| l.families.iter().map(String::as_str))
        .collect();
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
                    (comparison(r))
                    section id="leads" {
                        h2 {
                            (both(
                                &format!("线索（共 {} 条）", r.leads.len()),
                                &format!("Leads ({} in all)", r.leads.len()),
                            ))
                        }
                        div class="controls" {
                            input id="q" type="search" placeholder="搜索对象、机构、规则、摘要 / search subject, institution, rule, headline" aria-label="search";
                            select id="f-family" aria-label="family" {
                                option value="" { "全部违规类型 / all families" }
                                @for f in &families {
                                    option value=(Text(f)) { (Text(family_zh(f))) " " (Text(f)) }
                                }
                            }
                            select id="f-kind" aria-label="kind of institution" {
                                option value="" { "全部机构类型 / all kinds" }
                                @for k in kinds.keys() {
                                    option value=(Text(k)) { (Text(kind_zh(k))) " " (Text(k)) }
                                }
                            }
                            select id="f-referral" aria-label="referral" {
                                option value="" { "移送：全部 / referral: all" }
                                option value="1" { "达到移送标准 / for referral" }
                                option value="0" { "未达移送标准 / below referral" }
                            }
                            @if r.baseline.is_some() {
                                select id="f-status" aria-label="status against the baseline" {
                                    option value="" { "与上期比较：全部 / against baseline: all" }
                                    option value="new" { "新增 / new" }
                                    option value="recurring" { "持续 / recurring" }
                                    option value="escalated" { "升级 / escalated" }
                                }
                            }
                            span id="count" class="count" {}
                        }
                        table id="lead-table" {
                            thead {
                                tr {
                                    th class="num sort" data-sort="rank" { (both("排名", "Rank")) }
                                    th { (both("线索编号", "Lead")) }
                                    th { (both("对象", "Subject")) }
                                    th { (both("定点机构", "Institution")) }
                                    th class="num sort" data-sort="score" { (both("评分", "Score")) }
                                    th class="num sort" data-sort="fen" { (both("涉及金额（元）", "Amount (yuan)")) }
                                    th { (both("摘要", "Headline")) }
                                }
                            }
                            tbody id="lead-rows" {}
                        }
                        noscript {
                            p { (both("请启用脚本以查看、搜索和筛选全部线索；前 50 条如下。", "Enable scripts to see, search and filter every lead; the first 50 follow.")) }
                            ul {
                                @for l in r.leads.iter().take(50) {
                                    li { (l.rank) " " code { (Text(&l.lead_id)) } " " (Text(&l.headlines[0])) " " (money(l.amount_fen)) }
                                }
                            }
                        }
                    }
                    section id="lead-page" hidden {}
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
                script type="application/json" id="data" { (PreEscaped(data(r))) }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    page.into_string() + "\n"
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
