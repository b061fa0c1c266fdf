//! CSV files the panels download (the API log, statements): RFC 4180 by
//! the `csv` crate, every cell through the formula guard. A cell a
//! spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a
//! tab or a carriage return: partners choose their paths and queries,
//! operators their references) is prefixed with `'`, so it opens as text
//! (OWASP's CSV injection advice). A negative number such as `-12.50` (a
//! charge on a statement) is a number, not a formula, and stays.

/// A CSV file being written, row by row, into memory.
pub struct CsvFile {
    writer: csv::Writer<Vec<u8>>,
}

impl CsvFile {
    /// A file whose first row is `header`.
    pub fn new(header: &[&str]) -> Self {
        let mut file = CsvFile {
            writer: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(Vec::new()),
        };
        file.row(header);
        file
    }

    /// One row; every cell through [`guard`].
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) {
        // Writing into memory cannot fail.
        let _ = self
            .writer
            .write_record(cells.iter().map(|c| guard(c.as_ref()).into_owned()));
    }

    pub fn finish(self) -> String {
        let bytes = self.writer.into_inner().unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }
}

/// The formula guard (see the module).
pub fn guard(text: &str) -> std::borrow::Cow<'_, str> {
    let negative_number = text
        .strip_prefix('-')
        .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit() || c == '.'));
    if !negative_number && text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_row(cells: &[&str]) -> String {
        // The header has as many columns as the row: the writer refuses
        // rows of another length.
        let header = vec!["h"; cells.len()];
        let mut file = CsvFile::new(&header);
        file.row(cells);
        let text = file.finish();
        text.split_once("\r\n")
            .map(|(_, rest)| rest.to_owned())
            .unwrap_or_default()
    }

    #[test]
    fn quotes_what_needs_quoting() {
        assert_eq!(
            one_row(&["/api/v1/orders?a=1,2", "x"]),
            "\"/api/v1/orders?a=1,2\",x\r\n"
        );
        assert_eq!(one_row(&["say \"hi\""]), "\"say \"\"hi\"\"\"\r\n");
    }

    #[test]
    fn formulas_open_as_text() {
        assert_eq!(one_row(&["=HYPERLINK(\"x\")"]), "\"'=HYPERLINK(\"\"x\"\")\"\r\n");
        for risky in ["+1", "-2+A1", "-", "-cmd|' /C calc'!A0", "@SUM(A1)", "\tx", "\rx"] {
            assert!(one_row(&[risky]).trim_start_matches('"').starts_with('\''), "{risky:?}");
        }
        assert_eq!(one_row(&["/api/v1/orders"]), "/api/v1/orders\r\n");
        assert_eq!(one_row(&["-12.50"]), "-12.50\r\n", "a negative amount is a number");
    }
}
