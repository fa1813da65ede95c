//! Pictures of a lead's evidence, drawn on the lead's page of `report.html` where people would
//! rather look than read. They are plain data, built by the caller from the dump (this crate reads
//! no input) and embedded in the page as JSON; the page's script draws them as SVG.

use serde::Serialize;

/// One lead's picture.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Picture {
    /// The settlements of the lead's people over a window around its evidence: stays as bars
    /// (the days with charges filled, hollow days open), other settlements as marks; the lead's
    /// own settlements in red, those at the lead's institution in blue, those elsewhere in orange.
    /// The window is days for a stay and minutes for a burst of swipes.
    Timeline(Timeline),
    /// The institution against the institutions of its kind and level on one measure.
    Peers(Peers),
    /// Each trace code of the evidence with every sale of it, in time order.
    Chains { chains: Vec<Chain> },
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Timeline {
    /// Seconds of the naive local clock (as the dump's), start and end of the window.
    pub from: i64,
    pub to: i64,
    /// The institutions the events name; events refer to them by index.
    pub providers: Vec<String>,
    /// The lead's institution among `providers`.
    pub subject_provider: Option<usize>,
    pub lanes: Vec<Lane>,
    /// People of the lead not drawn (a lane each would not fit).
    pub more_people: usize,
}

/// One person's row of the timeline.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Lane {
    /// The patient id (pseudonymised in a pseudonymised run).
    pub label: String,
    pub events: Vec<Event>,
    /// Settlements in the window not drawn.
    pub more: usize,
}

/// One settlement.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Event {
    pub start: i64,
    /// Discharge for a stay (the window's end while still in hospital), else `start`.
    pub end: i64,
    pub provider: usize,
    /// `inpatient`, `outpatient`, `pharmacy` or `other`.
    pub kind: &'static str,
    /// Named by one of the lead's hits.
    pub flagged: bool,
    /// Total of the settlement, fen.
    pub fen: i64,
    pub visit: String,
    /// Stays: the days (from the admission's day, 0 first) on which anything was charged.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub charged_days: Vec<i32>,
}

/// What a peer picture compares.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Inpatient charges per stay-day, fen.
    CostPerDay,
    /// Money of all settlements per patient, fen.
    MoneyPerPatient,
    /// Settlements per patient, in hundredths.
    VisitsPerPatient,
}

impl Measure {
    /// The measure's name in Chinese and in English, with its unit.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Measure::CostPerDay => (
                "住院床日费用（元/床日）",
                "inpatient charges per stay-day (yuan)",
            ),
            Measure::MoneyPerPatient => ("人均费用（元/人）", "money per patient (yuan)"),
            Measure::VisitsPerPatient => ("人次人头比（人次/人）", "settlements per patient"),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Peers {
    pub measure: Measure,
    pub measure_zh: &'static str,
    pub measure_en: &'static str,
    /// The peer group: kind of institution and `hosp_lv`.
    pub group: String,
    /// Institutions in the group, the subject among them.
    pub peers: usize,
    /// The group's values, ascending, at most a few hundred quantiles of them.
    pub values: Vec<i64>,
    pub subject: i64,
    pub median: i64,
    /// 1 for the highest value of the group.
    pub rank: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Chain {
    pub code: String,
    pub sales: Vec<Sale>,
    /// Sales of the code not drawn.
    pub more: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Sale {
    pub time: i64,
    pub patient: String,
    pub provider: String,
    /// Quantity as decimal text (a return is negative).
    pub quantity: String,
    pub visit: String,
    /// One of the lead's settlements.
    pub flagged: bool,
}
