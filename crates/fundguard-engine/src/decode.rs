//! Hits decoded to the contract's text rows, and the output order of hits.

use fundguard_model::{Dump, HitRow, Language};

use crate::hit::Hit;

/// Decodes hits for output.
pub fn hit_rows(dump: &Dump, hits: &[Hit], lang: Language) -> Vec<HitRow> {
    hits.iter().map(|h| row(dump, h, lang)).collect()
}

fn row(dump: &Dump, h: &Hit, lang: Language) -> HitRow {
    let d = &dump.dicts;
    let mut line_ids: Vec<String> = h
        .lines
        .iter()
        .map(|&l| dump.lines.line_id.get(l as usize).to_string())
        .collect();
    line_ids.sort_unstable();
    HitRow {
        rule_id: h.rule.id.to_string(),
        family: h.rule.family.as_str().to_string(),
        subject_type: h.subject.kind().to_string(),
        subject_id: h.subject.id(dump).to_string(),
        provider_id: d.providers.get_opt(h.provider).map(str::to_string),
        patient_id: d.patients.get_opt(h.patient).map(str::to_string),
        visit_id: (h.visit != fundguard_model::NONE)
            .then(|| dump.visits.visit_id.get(h.visit as usize).to_string()),
        line_ids,
        amount_fen: h.amount.0,
        severity: h.severity,
        p: h.p,
        evidence: match lang {
            Language::Zh => h.evidence.zh.clone(),
            Language::En => h.evidence.en.clone(),
        },
        doctor_id: d.doctors.get_opt(doctor_of(dump, h)).map(str::to_string),
    }
}

/// The doctor whose evidence a hit is: the subject when it is a doctor; else the one doctor who
/// billed every line of it (a line's own doctor, or the doctor who led its visit); else, for a hit
/// without lines about one visit, the visit's doctor. [`NONE`] when there is no such single doctor.
pub fn doctor_of(dump: &Dump, h: &Hit) -> u32 {
    use fundguard_model::NONE;
    if let crate::hit::Subject::Doctor(d) = h.subject {
        return d;
    }
    let (l, v) = (&dump.lines, &dump.visits);
    if h.lines.is_empty() {
        return if h.visit == NONE {
            NONE
        } else {
            v.doctor[h.visit as usize]
        };
    }
    let mut found = NONE;
    for &line in &h.lines {
        let i = line as usize;
        let d = match l.doctor[i] {
            NONE => v.doctor[l.visit[i] as usize],
            d => d,
        };
        if d == NONE || (found != NONE && d != found) {
            return NONE;
        }
        found = d;
    }
    found
}

/// Orders hits by decoded text (rule, subject, visit, first line), never by dictionary code or
/// thread timing, so output is identical whatever the input row order and thread count.
pub fn sort_hits(dump: &Dump, hits: &mut Vec<Hit>) {
    let mut keyed: Vec<_> = std::mem::take(hits)
        .into_iter()
        .map(|h| {
            let r = row(dump, &h, Language::Zh);
            let first_line = r.line_ids.into_iter().next();
            let key = (
                r.rule_id,
                r.subject_type,
                r.subject_id,
                r.visit_id,
                first_line,
                r.evidence,
            );
            (key, h)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    hits.extend(keyed.into_iter().map(|(_, h)| h));
}
