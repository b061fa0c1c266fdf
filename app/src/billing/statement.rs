//! Monthly statements: a calendar month of an account, its opening and
//! closing balance and every entry with the balance after it.

use super::Entry;
use crate::{
    error::{AppError, AppResult},
    lists::Page,
    money::Amount,
    timestamp::Timestamp,
};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A calendar month (UTC), `2026-11` on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u8,
}

impl Month {
    /// `yyyy-mm`, from 2000-01 to 9999-11 (a statement's month must end
    /// before the largest time both databases and the wire can hold).
    pub fn parse(raw: &str) -> AppResult<Self> {
        let bad = || {
            AppError::validation(
                "month",
                format!("`{raw}` is not a month like 2026-11 (from 2000-01 to 9999-11)."),
            )
        };
        let (y, m) = raw.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 || !y.chars().chain(m.chars()).all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let (year, month): (i32, u8) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if !(2000..=9999).contains(&year) || !(1..=12).contains(&month) || (year, month) == (9999, 12) {
            return Err(bad());
        }
        Ok(Month { year, month })
    }

    /// The earliest month whose statement is not final at `now`: last
    /// month until `grace_days` after it ended, then this one.
    pub fn first_open(now: Timestamp, grace_days: u32) -> Self {
        let this = Month::of(now);
        if now < this.start().plus(time::Duration::days(i64::from(grace_days))) {
            this.previous()
        } else {
            this
        }
    }

    /// Whether the month's statement is final at `now` (its month ended
    /// `grace_days` ago or more): nothing may be dated in it any more.
    pub fn is_final(self, now: Timestamp, grace_days: u32) -> bool {
        self < Month::first_open(now, grace_days)
    }

    pub fn of(at: Timestamp) -> Self {
        let d = at.datetime();
        Month {
            year: d.year(),
            month: u8::from(d.month()),
        }
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn previous(self) -> Self {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// Its first instant (UTC).
    pub fn start(self) -> Timestamp {
        let month = time::Month::try_from(self.month).unwrap_or(time::Month::January);
        let date = time::Date::from_calendar_date(self.year, month, 1).unwrap_or(time::Date::MIN);
        Timestamp::from_datetime(date.midnight().assume_utc())
    }

    /// `November 2026`.
    pub fn label(self) -> String {
        let month = time::Month::try_from(self.month).unwrap_or(time::Month::January);
        format!("{month} {}", self.year)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Month::parse(&raw).map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(feature = "ssr")]
crate::openapi::value_schema!(
    Month,
    crate::openapi::string("A calendar month (UTC), yyyy-mm.", Some(r"^\d{4}-\d{2}$"), "2026-11")
);

/// A statement line: the entry and the balance right after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StatementLine {
    #[serde(flatten)]
    pub entry: Entry,
    pub description: String,
    pub balance_after: Amount,
}

/// One calendar month of an account, its lines a page at a time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Statement {
    pub month: Month,
    pub currency: String,
    /// The month ended and its grace days passed: the statement will not
    /// change (no payment may be dated into it).
    #[serde(rename = "final")]
    pub is_final: bool,
    /// The closing balance of the month before.
    pub opening_balance: Amount,
    /// Oldest first: one page of the month's lines (`next_cursor` names
    /// the next page, as in lists).
    pub entries: Vec<StatementLine>,
    pub closing_balance: Amount,
    /// `cursor` for the next page of lines; `null` on the last.
    pub next_cursor: Option<String>,
}

impl Statement {
    /// A page of the month's statement: `running` is the balance before
    /// the page's first line (the opening balance on the first page), and
    /// each line carries the balance after it.
    pub fn page(
        month: Month,
        currency: &str,
        is_final: bool,
        (opening_balance, closing_balance): (Amount, Amount),
        running: Amount,
        page: Page<Entry>,
    ) -> Self {
        Statement {
            month,
            currency: currency.to_owned(),
            is_final,
            opening_balance,
            entries: lines(running, page.data),
            closing_balance,
            next_cursor: page.next_cursor,
        }
    }
}

/// `entries` in time order with the balance after each, from `running`.
pub fn lines(mut running: Amount, entries: Vec<Entry>) -> Vec<StatementLine> {
    entries
        .into_iter()
        .map(|entry| {
            running = running + entry.amount;
            StatementLine {
                description: entry.description(),
                entry,
                balance_after: running,
            }
        })
        .collect()
}

/// A month's statement as CSV, written a page of lines at a time: a
/// header, the opening balance as a row, one row per line, the closing
/// balance as a row.
#[cfg(feature = "ssr")]
pub struct StatementCsv {
    file: crate::csv_file::CsvFile,
    month: Month,
}

#[cfg(feature = "ssr")]
impl StatementCsv {
    pub fn new(month: Month, opening_balance: Amount) -> Self {
        let mut file = crate::csv_file::CsvFile::new(&["date", "id", "kind", "description", "amount", "balance_after"]);
        file.row(&[
            month.start().rfc3339().as_str(),
            "",
            "opening",
            "Opening balance",
            "",
            &opening_balance.to_string(),
        ]);
        StatementCsv { file, month }
    }

    pub fn lines(&mut self, lines: &[StatementLine]) {
        for line in lines {
            self.file.row(&[
                line.entry.at.rfc3339().as_str(),
                line.entry.id.as_str(),
                line.entry.kind.as_str(),
                &line.description,
                &line.entry.amount.to_string(),
                &line.balance_after.to_string(),
            ]);
        }
    }

    pub fn finish(mut self, closing_balance: Amount) -> String {
        self.file.row(&[
            self.month.next().start().rfc3339().as_str(),
            "",
            "closing",
            "Closing balance",
            "",
            &closing_balance.to_string(),
        ]);
        self.file.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{billing::EntryKind, ids::TransactionId};

    fn amount(raw: &str) -> Amount {
        Amount::parse(raw).unwrap()
    }

    fn entry(kind: EntryKind, raw: &str) -> Entry {
        Entry {
            id: TransactionId::generate(),
            kind,
            amount: amount(raw),
            at: Timestamp::parse_rfc3339("2026-11-03T10:00:00Z").unwrap(),
            order_id: None,
            service_id: None,
            reference: Some("wire, 7".into()),
            reason: None,
            recorded_by: None,
        }
    }

    #[test]
    fn months() {
        let m = Month::parse("2026-12").unwrap();
        assert_eq!(
            (m.to_string(), m.next().to_string()),
            ("2026-12".into(), "2027-01".into())
        );
        assert_eq!(Month::parse("2026-01").unwrap().previous().to_string(), "2025-12");
        assert_eq!(m.start().rfc3339(), "2026-12-01T00:00:00Z");
        for bad in [
            "2026-13",
            "2026-00",
            "26-11",
            "2026/11",
            "2026-1",
            "1999-12",
            "x",
            "2026-11-01",
            "２０２６-11",
            "9999-12",
        ] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(m.label(), "December 2026");
    }

    #[test]
    fn statements_run_the_balance() {
        let month = Month::parse("2026-11").unwrap();
        let page = Page {
            data: vec![entry(EntryKind::Payment, "100"), entry(EntryKind::Order, "-30.5")],
            next_cursor: None,
        };
        let s = Statement::page(month, "EUR", false, (amount("10"), amount("79.5")), amount("10"), page);
        let after: Vec<String> = s.entries.iter().map(|l| l.balance_after.to_string()).collect();
        assert_eq!(after, ["110.00", "79.50"]);
        #[cfg(feature = "ssr")]
        {
            let mut csv = StatementCsv::new(month, s.opening_balance);
            csv.lines(&s.entries);
            let csv = csv.finish(s.closing_balance);
            assert!(
                csv.starts_with("date,id,kind,description,amount,balance_after\r\n2026-11-01T00:00:00Z,,opening"),
                "{csv}"
            );
            assert!(csv.contains("\"Payment, ref. wire, 7\""), "{csv}");
            assert!(csv.trim_end().ends_with("closing,Closing balance,,79.50"), "{csv}");
        }
    }
}
