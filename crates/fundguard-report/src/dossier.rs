//! Case dossiers (案件材料) in the national exposure-case format (国家医疗保障局曝光台曝光案例格式,
//! 医保函〔2020〕8号): the title line `____省…____市…____骗取医保基金案` and its six sections in
//! order — （一）涉案基本情况, （二）案件查办的主要过程, （三）违法违规事实与涉嫌金额,
//! （四）部门协作与移送情况, （五）作出处理的部门、处理依据与处理结果, （六）被处理单位（个人）意见 —
//! filled with what the data knows, with labelled blanks for what only the inquiry can.

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
    let blank = |v: &str, suffix: &str| -> String {
        if v.is_empty() {
            format!("____{suffix}")
        } else {
            v.to_string()
        }
    };
    let facts = l.provider_id.as_ref().and_then(|p| r.providers.get(p));
    let who = match (
        l.subject_type.as_str(),
        facts.and_then(|f| f.name.as_deref()),
    ) {
        ("provider", Some(name)) => name.to_string(),
        _ => l.subject_id.clone(),
    };
    let _ = writeln!(
        s,
        "# {}{}{}骗取医保基金案\n",
        blank(r.place.0, "省（自治区、直辖市）/兵团"),
        blank(r.place.1, "市（地、州、盟）"),
        who
    );
    let _ = writeln!(s, "> {}\n", l.headlines[0]);
    let _ = writeln!(
        s,
        "线索 {} · 排名 {} · 评分 {:.3} · 涉及金额 {} 元 · {} · 运行 {}\n",
        l.lead_id,
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

    s.push_str("## （一）涉案基本情况\n\n");
    let _ = writeln!(
        s,
        "- 涉案对象：{} `{}`",
        subject_zh(&l.subject_type),
        l.subject_id
    );
    if let Some(p) = &l.provider_id {
        let kind = r.provider_types.get(p).map_or("unknown", String::as_str);
        let name = facts.and_then(|f| f.name.as_deref()).unwrap_or("______");
        let _ = writeln!(s, "- 定点医药机构全称：{name}（`{p}`）");
        let _ = writeln!(s, "- 机构类别：{}", kind_zh(kind));
        let level = facts.and_then(|f| f.level.as_deref());
        let _ = writeln!(
            s,
            "- 医院等级（hosp_lv）：{}",
            level.map_or("______".to_string(), |v| format!("`{v}`"))
        );
        let beds = facts.and_then(|f| f.beds);
        let _ = writeln!(
            s,
            "- 床位数：{}",
            beds.map_or("______".to_string(), |b| b.to_string())
        );
        s.push_str(
            "- 机构性质：______ · 登记注册类型：______ · 主办单位：______ · 经营性质：______\n",
        );
        let (admitted, discharged) = facts.map_or((0, 0), |f| (f.admissions, f.discharges));
        let _ = writeln!(
            s,
            "- 出入院人次（数据期间 {}）：入院 {admitted} 人次、出院 {discharged} 人次；年出入院人次：______",
            r.period
        );
    }
    if l.subject_type == "patient" {
        // Pseudonymised runs never show names or raw ids: the inquiry fills them in; sex, age
        // and insurance type come from the dump.
        let person = r.people.get(&l.subject_id);
        let _ = writeln!(
            s,
            "- 姓名：______ · 性别：{} · 年龄：{} · 单位：______ · 参保人员参保类型：{}",
            person.and_then(|p| p.sex).unwrap_or("______"),
            person
                .and_then(|p| p.age)
                .map_or("______".to_string(), |a| format!("{a} 岁")),
            person.and_then(|p| p.insurance_type.as_deref()).map_or(
                "______".to_string(),
                |t| format!("{}（`{t}`）", insurance_zh(t))
            )
        );
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

    s.push_str("## （二）案件查办的主要过程\n\n");
    let rules: Vec<String> = l
        .rule_ids
        .iter()
        .map(|id| format!("{}（`{id}`）", r.names.get(id, Language::Zh)))
        .collect();
    let _ = writeln!(
        s,
        "- 线索来源：医保基金智能监管筛查（fundguard {}，运行 {}），数据期间 {}，命中规则：{}。",
        r.version,
        r.run_id,
        r.period,
        rules.join("、")
    );
    s.push_str("- 调查过程：______（现场检查、病历与进销存核查、询问笔录等，由检查人员填写）\n\n");

    s.push_str("## （三）违法违规事实与涉嫌金额\n\n");
    // The facts as a table (a Word table in the .docx): one row per hit, with its money.
    s.push_str("| 序号 | 违规类型（规则） | 违法违规事实 | 涉嫌金额（元） | 就诊与费用明细 |\n");
    s.push_str("|---:|---|---|---:|---|\n");
    for (n, &i) in l.hits.iter().enumerate() {
        let h = &hits[i];
        let mut ids = String::new();
        if let Some(v) = &h.visit_id {
            let _ = write!(ids, "就诊 `{v}`");
        }
        if !h.line_ids.is_empty() {
            let shown: Vec<String> = h
                .line_ids
                .iter()
                .take(8)
                .map(|x| format!("`{x}`"))
                .collect();
            let _ = write!(
                ids,
                "{}费用明细 {} 条：{}{}",
                if ids.is_empty() { "" } else { "；" },
                h.line_ids.len(),
                shown.join("、"),
                if h.line_ids.len() > 8 { "等" } else { "" }
            );
        }
        let _ = writeln!(
            s,
            "| {} | {}（`{}`） | {} | {} | {} |",
            n + 1,
            cell(&r.names.get(&h.rule_id, Language::Zh)),
            cell(&h.rule_id),
            cell(&h.evidence),
            money(h.amount_fen),
            cell(&ids)
        );
    }
    let _ = writeln!(
        s,
        "\n合计涉嫌金额（同一费用明细不重复计算）：**{} 元**。\n",
        money(l.amount_fen)
    );

    s.push_str("## （四）部门协作与移送情况\n\n");
    let _ = writeln!(
        s,
        "- {}\n- 协作部门与移送情况：______\n",
        if l.referral {
            format!(
                "涉嫌金额 {} 元，达到移送标准（≥{} 元），建议按规定移送。",
                money(l.amount_fen),
                r.referral_yuan
            )
        } else {
            format!("涉嫌金额未达移送标准（{} 元）。", r.referral_yuan)
        }
    );

    s.push_str("## （五）作出处理的部门、处理依据与处理结果\n\n");
    s.push_str("- 作出处理的部门：______医疗保障局\n");
    let mut bases: Vec<&str> = Vec::new();
    for f in &l.families {
        let own = r.legal_bases.get(f.as_str());
        let listed: Vec<&str> = match own {
            Some(v) => v.iter().map(String::as_str).collect(),
            None => legal_bases(f).to_vec(),
        };
        for b in listed {
            if !bases.contains(&b) {
                bases.push(b);
            }
        }
    }
    let _ = writeln!(
        s,
        "- 处理依据（按命中规则建议，以本地规定和服务协议核定）：{}",
        bases.join("；")
    );
    s.push_str("- 处理结果：______（追回基金、罚款、暂停或解除服务协议、移送等）\n\n");

    s.push_str("## （六）被处理单位（个人）意见\n\n______\n");
    s
}

/// Text for one cell of a Markdown table: no line breaks, `|` escaped.
fn cell(text: &str) -> String {
    text.replace(['\r', '\n'], " ").replace('|', "\\|")
}

/// The national insurance types (险种类型, `insutype`) by code.
fn insurance_zh(code: &str) -> &'static str {
    match code {
        "310" => "职工基本医疗保险",
        "320" => "公务员医疗补助",
        "330" => "大额医疗费用补助",
        "340" => "离休人员医疗保障",
        "390" => "城乡居民基本医疗保险",
        "391" => "城镇居民基本医疗保险",
        "392" => "城乡居民大病医疗保险",
        "510" => "生育保险",
        _ => "其他险种",
    }
}

/// The articles a family's violations fall under, suggested to the inspector: 《医疗保障基金使用
/// 监督管理条例》(国务院令第735号) 第十五条 lists what 定点医药机构 must not do, 第三十八条 its
/// penalties (（一）分解住院、挂床住院 … （七）其他造成基金损失的行为), 第四十条 骗取 by an
/// institution, 第四十一条 by a person; and the service agreement (服务协议).
pub fn legal_bases(family: &str) -> &'static [&'static str] {
    match family {
        "bed_hanging" | "split_admission" => &[
            "《医疗保障基金使用监督管理条例》第十五条、第三十八条第（一）项",
            "定点医药机构服务协议",
        ],
        "duplicate_charge" | "over_standard_price" => &[
            "《医疗保障基金使用监督管理条例》第十五条、第三十八条第（三）项",
            "定点医药机构服务协议",
        ],
        "item_swap" => &[
            "《医疗保障基金使用监督管理条例》第十五条、第三十八条第（四）项、第（六）项",
            "定点医药机构服务协议",
        ],
        "restricted_item" => &[
            "《医疗保障基金使用监督管理条例》第三十八条第（六）项",
            "定点医药机构服务协议",
        ],
        "peer_outlier" | "excessive_supply" | "admission_standard" => &[
            "《医疗保障基金使用监督管理条例》第十五条、第三十八条第（二）项",
            "定点医药机构服务协议",
        ],
        "phantom_service" => &["《医疗保障基金使用监督管理条例》第四十条第（三）项"],
        "card_pooling" | "impersonation" => &[
            "《医疗保障基金使用监督管理条例》第四十条第（一）项",
            "《医疗保障基金使用监督管理条例》第四十一条",
        ],
        "trace_code" => &[
            "《医疗保障基金使用监督管理条例》第三十八条第（五）项",
            "《医疗保障基金使用监督管理条例》第四十一条",
        ],
        _ => &[
            "《医疗保障基金使用监督管理条例》第三十八条第（七）项",
            "定点医药机构服务协议",
        ],
    }
}
