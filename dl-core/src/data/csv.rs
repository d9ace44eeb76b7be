//! A small CSV reader: a header row, comma-separated fields, no quoting (the formats the
//! bundled data sets use). Every error names the file, the line and the column.
use std::fmt;
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::vec::Vec;

/// What went wrong reading a data file.
#[derive(Debug)]
pub enum DataError {
    /// The file could not be read.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file has no header or no rows.
    Empty { path: PathBuf },
    /// A row has a different number of fields than the header.
    Ragged {
        path: PathBuf,
        line: usize,
        expected: usize,
        found: usize,
    },
    /// A column the caller asked for is not in the header.
    MissingColumn { path: PathBuf, column: String },
    /// Two header fields have the same name (the second could never be read).
    DuplicateColumn {
        path: PathBuf,
        /// The header's line.
        line: usize,
        column: String,
        /// 1-based positions of the two fields in the header.
        first: usize,
        second: usize,
    },
    /// A field that should be a number is not one (or is NaN / infinite).
    BadNumber {
        path: PathBuf,
        line: usize,
        column: String,
        value: String,
    },
    /// A label outside the allowed range.
    BadLabel {
        path: PathBuf,
        line: usize,
        column: String,
        value: String,
        classes: usize,
    },
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            DataError::Empty { path } => {
                write!(f, "{}: empty file (no header or no rows)", path.display())
            }
            DataError::Ragged {
                path,
                line,
                expected,
                found,
            } => write!(
                f,
                "{}:{line}: row has {found} fields, the header has {expected}",
                path.display()
            ),
            DataError::MissingColumn { path, column } => {
                write!(
                    f,
                    "{}: no column named `{column}` in the header",
                    path.display()
                )
            }
            DataError::DuplicateColumn {
                path,
                line,
                column,
                first,
                second,
            } => write!(
                f,
                "{}:{line}: column `{column}` appears twice in the header (fields {first} and {second})",
                path.display()
            ),
            DataError::BadNumber {
                path,
                line,
                column,
                value,
            } => write!(
                f,
                "{}:{line}: column `{column}`: `{value}` is not a finite number",
                path.display()
            ),
            DataError::BadLabel {
                path,
                line,
                column,
                value,
                classes,
            } => write!(
                f,
                "{}:{line}: column `{column}`: label `{value}` is not an integer in 0..{classes}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for DataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DataError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A CSV file held as text fields, converted per column on request.
#[derive(Debug, Clone)]
pub struct Table {
    path: PathBuf,
    header: Vec<String>,
    /// `(line number, fields)` for every data row.
    rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    /// Reads `path`. Blank lines are skipped; every other row must have the header's width.
    pub fn load(path: impl AsRef<Path>) -> Result<Table, DataError> {
        let path = path.as_ref().to_path_buf();
        let text = std::fs::read_to_string(&path).map_err(|source| DataError::Io {
            path: path.clone(),
            source,
        })?;
        Table::parse(&text, path)
    }

    /// Parses CSV text; `path` is used in error messages. A leading UTF-8 byte-order mark is
    /// skipped; lines end at `\n`, `\r\n` or a lone `\r` (old Mac files); header names must be
    /// unique.
    pub fn parse(text: &str, path: impl Into<PathBuf>) -> Result<Table, DataError> {
        let path = path.into();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = split_lines(text)
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let (hl, header): (usize, Vec<String>) = match lines.next() {
            Some((i, h)) => (i + 1, h.split(',').map(|s| s.trim().to_string()).collect()),
            None => return Err(DataError::Empty { path }),
        };
        for (j, name) in header.iter().enumerate() {
            if let Some(k) = header[..j].iter().position(|h| h == name) {
                return Err(DataError::DuplicateColumn {
                    path,
                    line: hl,
                    column: name.clone(),
                    first: k + 1,
                    second: j + 1,
                });
            }
        }
        let mut rows = Vec::new();
        for (i, l) in lines {
            let fields: Vec<String> = l.split(',').map(|s| s.trim().to_string()).collect();
            if fields.len() != header.len() {
                return Err(DataError::Ragged {
                    path,
                    line: i + 1,
                    expected: header.len(),
                    found: fields.len(),
                });
            }
            rows.push((i + 1, fields));
        }
        if rows.is_empty() {
            return Err(DataError::Empty { path });
        }
        Ok(Table { path, header, rows })
    }

    /// Number of data rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }
    /// `true` if there are no data rows (never, for a loaded table).
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
    /// The header's column names.
    pub fn columns(&self) -> &[String] {
        &self.header
    }

    fn index(&self, column: &str) -> Result<usize, DataError> {
        self.header
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| DataError::MissingColumn {
                path: self.path.clone(),
                column: column.to_string(),
            })
    }

    /// A column as text.
    pub fn text(&self, column: &str) -> Result<Vec<&str>, DataError> {
        let c = self.index(column)?;
        Ok(self.rows.iter().map(|(_, r)| r[c].as_str()).collect())
    }

    /// A column as finite numbers.
    pub fn numbers(&self, column: &str) -> Result<Vec<f32>, DataError> {
        let c = self.index(column)?;
        self.rows
            .iter()
            .map(|(line, r)| match r[c].parse::<f32>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(DataError::BadNumber {
                    path: self.path.clone(),
                    line: *line,
                    column: column.to_string(),
                    value: r[c].clone(),
                }),
            })
            .collect()
    }

    /// Several columns as numbers, row-major: `rows × columns.len()` values.
    pub fn matrix<S: AsRef<str>>(&self, columns: &[S]) -> Result<Vec<f32>, DataError> {
        let cols = columns
            .iter()
            .map(|c| self.numbers(c.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::with_capacity(self.len() * cols.len());
        for r in 0..self.len() {
            out.extend(cols.iter().map(|c| c[r]));
        }
        Ok(out)
    }

    /// A column of class labels in `0..classes`.
    pub fn labels(&self, column: &str, classes: usize) -> Result<Vec<usize>, DataError> {
        let c = self.index(column)?;
        self.rows
            .iter()
            .map(|(line, r)| match r[c].parse::<usize>() {
                Ok(v) if v < classes => Ok(v),
                _ => Err(DataError::BadLabel {
                    path: self.path.clone(),
                    line: *line,
                    column: column.to_string(),
                    value: r[c].clone(),
                    classes,
                }),
            })
            .collect()
    }
}

/// The lines of `text`, each ended by `\n`, `\r\n` or a lone `\r` (line terminators removed).
fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n')
        .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_columns() {
        let t = Table::parse("label,a,b\n1,0.5,2\n\n0,1.5,-3\n", "x.csv").unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.labels("label", 2).unwrap(), [1, 0]);
        assert_eq!(t.matrix(&["a", "b"]).unwrap(), [0.5, 2.0, 1.5, -3.0]);
    }

    #[test]
    fn byte_order_mark_and_every_line_ending() {
        let want = [0.5, 2.0, 1.5, -3.0];
        for text in [
            "\u{feff}a,b\n0.5,2\n1.5,-3\n",
            "a,b\r\n0.5,2\r\n1.5,-3\r\n",
            "a,b\r0.5,2\r1.5,-3\r",
            "\u{feff}a,b\r0.5,2\n\r1.5,-3",
        ] {
            let t = Table::parse(text, "m.csv").unwrap();
            assert_eq!(t.columns(), ["a", "b"], "{text:?}");
            assert_eq!(t.matrix(&["a", "b"]).unwrap(), want, "{text:?}");
        }
        // line numbers count lone-CR line ends too
        let t = Table::parse("a\r1\rx\r", "m.csv").unwrap();
        assert_eq!(
            t.numbers("a").unwrap_err().to_string(),
            "m.csv:3: column `a`: `x` is not a finite number"
        );
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let e = Table::parse("a,b\n1,2\n3\n", "d.csv")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "d.csv:3: row has 1 fields, the header has 2");
        let t = Table::parse("a,b\n1,2\n3,x\n", "d.csv").unwrap();
        assert_eq!(
            t.numbers("b").unwrap_err().to_string(),
            "d.csv:3: column `b`: `x` is not a finite number"
        );
        assert_eq!(t.numbers("a").unwrap(), [1.0, 3.0]);
        assert_eq!(
            t.numbers("c").unwrap_err().to_string(),
            "d.csv: no column named `c` in the header"
        );
        let t = Table::parse("a\nNaN\n", "n.csv").unwrap();
        assert!(t
            .numbers("a")
            .unwrap_err()
            .to_string()
            .contains("`NaN` is not a finite number"));
        assert_eq!(
            Table::parse("", "e.csv").unwrap_err().to_string(),
            "e.csv: empty file (no header or no rows)"
        );
        assert_eq!(
            Table::parse("a,b\n", "e.csv").unwrap_err().to_string(),
            "e.csv: empty file (no header or no rows)"
        );
        let t = Table::parse("label\n3\n12\n", "l.csv").unwrap();
        assert_eq!(
            t.labels("label", 10).unwrap_err().to_string(),
            "l.csv:3: column `label`: label `12` is not an integer in 0..10"
        );
        assert_eq!(
            Table::parse("a,b,a\n1,2,3\n", "d.csv")
                .unwrap_err()
                .to_string(),
            "d.csv:1: column `a` appears twice in the header (fields 1 and 3)"
        );
        assert!(Table::load("/nonexistent/file.csv")
            .unwrap_err()
            .to_string()
            .starts_with("/nonexistent/file.csv: "));
    }
}
