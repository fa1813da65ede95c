//! Case dossiers (案件材料) in the national exposure-case format (国家医疗保障局曝光台案例格式):
//! 涉案基本情况 and 违法违规事实与涉嫌金额 filled from the data; the inspector's sections left as
//! headed blanks.

use std::fmt::Write;

use fundguard_model::Language;
use fundguard_scoring::Lead;

use crate::{family_zh, kind_zh, money, Report};

fn subject_zh(t: &str) -> &'static str {
    match t {
        "provider" => "定点医药机构",
        "patient" => "参保人",
        "doctor" => "医保医师",
        _ => "对象",
    }
}

/// The dossier of one lead, as Markdown.
pub fn dossier(r: &Report<'_>, l: &Lead) -> String {
    let hits = &r.hits_zh;
    let mut s = String::new();
    let _ = writeln!(s, "# 案件材料：线索 {}\n", l.lead_id);
    let _ = writeln!(s, "> {}\n", l.headlines[0]);
    let _ = writeln!(
        s,
        "排名 {} · 评分 {:.3} · 涉及金额 {} 元 · {} · 运行 {}\n",
        l.rank,
        l.score,
        money(l.amount_fen),
        if l.referral {
            format!("达到移送标准（≥{} 元）", r.referral_yuan)
        } else {
            format!("未达移送标准（{} 元）", r.referral_yuan)
        },
        r.run_id
    );

    s.push_str("## 一、涉案基本情况\n\n");
    let _ = writeln!(
        s,
        "- 涉案对象：{} `{}`",
        subject_zh(&l.subject_type),
        l.subject_id
    );
    if let Some(p) = &l.provider_id {
        let kind = r.provider_types.get(p).map_or("unknown", String::as_str);
        let _ = writeln!(s, "- 涉及定点医药机构：`{p}`（{}）", kind_zh(kind));
    }
    if l.subject_type == "doctor" {
        // The dump has no register of doctors: what it cannot know is left for the inquiry.
        s.push_str("- 性别：______ · 年龄：______ · 执业类别及医保医师资格：______\n");
        if let Some(points) = l.points {
            let parts: Vec<String> = l
                .points_by_rule
                .iter()
                .map(|(rule, p)| format!("{} {p} 分", r.names.get(rule, Language::Zh)))
                .collect();
            let _ = writeln!(
                s,
                "- 医保支付资格记分（医保发〔2024〕23号，按本地记分标准核定）：本期证据对应 {points} 分（{}）{}{}",
                parts.join("、"),
                l.points_ytd
                    .map(|y| format!("，{}年累计 {y} 分", l.points_year.unwrap_or_default()))
                    .unwrap_or_default(),
                if l.points_ytd.unwrap_or(points) >= fundguard_scoring::leads::POINTS_LIMIT {
                    "，达到 12 分，终止医保支付资格"
                } else {
                    ""
                }
            );
        }
    }
    let mut patients: Vec<&str> = l
        .hits
        .iter()
        .filter_map(|&i| hits[i].patient_id.as_deref())
        .collect();
    patients.sort_unstable();
    patients.dedup();
    if !patients.is_empty() && l.subject_type != "patient" {
        let shown: Vec<String> = patients.iter().take(10).map(|p| format!("`{p}`")).collect();
        let _ = writeln!(
            s,
            "- 涉及参保人：{} 人（{}{}）",
            patients.len(),
            shown.join("、"),
            if patients.len() > 10 { "等" } else { "" }
        );
    }
    let mut visits: Vec<&str> = l
        .hits
        .iter()
        .filter_map(|&i| hits[i].visit_id.as_deref())
        .collect();
    visits.sort_unstable();
    visits.dedup();
    if !visits.is_empty() {
        let _ = writeln!(s, "- 涉及就诊（结算）：{} 次", visits.len());
    }
    let fams: Vec<&str> = l.families.iter().map(|f| family_zh(f)).collect();
    let _ = writeln!(s, "- 涉嫌违规类型：{}", fams.join("、"));
    let _ = writeln!(
        s,
        "- 命中规则：{} 条，命中 {} 次\n",
        l.rule_ids.len(),
        l.hit_count
    );

    s.push_str("## 二、违法违规事实与涉嫌金额\n\n");
    for (n, &i) in l.hits.iter().enumerate() {
        let h = &hits[i];
        let _ = write!(
            s,
            "{}. 【{}】{}（涉嫌金额 {} 元",
            n + 1,
            r.names.get(&h.rule_id, Language::Zh),
            h.evidence,
            money(h.amount_fen)
        );
        if let Some(v) = &h.visit_id {
            let _ = write!(s, "；就诊 `{v}`");
        }
        if !h.line_ids.is_empty() {
            let shown: Vec<String> = h
                .line_ids
                .iter()
                .take(8)
                .map(|x| format!("`{x}`"))
                .collect();
            let _ = write!(
                s,
                "；费用明细 {} 条：{}{}",
                h.line_ids.len(),
                shown.join("、"),
                if h.line_ids.len() > 8 { "等" } else { "" }
            );
        }
        let _ = writeln!(s, "；规则 `{}`）", h.rule_id);
    }
    let _ = writeln!(
        s,
        "\n合计涉嫌金额（同一费用明细不重复计算）：**{} 元**。\n",
        money(l.amount_fen)
    );

    for (title, hint) in [
        (
            "三、调查核实情况",
            "（由检查人员填写：现场检查、病历与进销存核查、询问笔录等。）",
        ),
        (
            "四、定性与处理依据",
            "（由检查人员填写：《医疗保障基金使用监督管理条例》等相关条款。）",
        ),
        (
            "五、处理结果",
            "（由检查人员填写：追回基金、罚款、暂停或解除协议、移送等。）",
        ),
        ("六、整改落实情况", "（由检查人员填写。）"),
    ] {
        let _ = writeln!(s, "## {title}\n\n{hint}\n");
    }
    s
}
