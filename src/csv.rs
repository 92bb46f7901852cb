//! Reads CSV files that people upload into rows of numeric features and a label: a class, or a
//! real-valued target for regression.
//!
//! The task follows from the label column unless the caller sets it: a column whose cells are
//! all numbers reads as a regression target when any of them is not a whole number or when it
//! holds more than [`MAX_NUMERIC_CLASSES`] distinct values; any other column holds classes.
//!
//! The parser accepts what spreadsheets and pandas write: a comma, semicolon or tab delimiter
//! (detected), an optional header row (detected), a UTF-8 byte order mark, CRLF or LF line
//! ends, and quoted fields with `""` for a quote inside them. With a semicolon delimiter a
//! decimal comma (`1,5`) is read as a decimal point, as European spreadsheets write numbers.
//! Errors name the row and column as a spreadsheet numbers them, from 1 and counting the
//! header row.

use crate::error::{PlaygroundError, Result};
use crate::spec::Task;
use serde::Serialize;
use std::collections::BTreeSet;

/// Largest file accepted, in bytes; the page checks the file's size before reading it too.
pub const MAX_CSV_BYTES: usize = 10 << 20;
/// Minimum data rows, enough to leave rows for training and testing.
pub const MIN_CSV_ROWS: usize = 10;
/// Most data rows accepted, so that evaluating the test split in one pass stays within memory.
pub const MAX_CSV_ROWS: usize = 100_000;
/// A numeric label column with more distinct whole numbers than this reads as a regression
/// target rather than as class indices, unless the caller asks for classification.
pub const MAX_NUMERIC_CLASSES: usize = 20;
/// Most classes a label column may hold; more usually means an id or a name column.
pub const MAX_CSV_CLASSES: usize = 100;

/// Delimiters tried, in order of preference when two fit a file equally well.
const DELIMITERS: [char; 3] = [',', ';', '\t'];
/// Records read to detect the delimiter.
const DETECTION_RECORDS: usize = 20;
/// Cell texts read as a missing value, as pandas' `read_csv` reads them by default (a subset).
const MISSING_MARKERS: [&str; 7] = ["", "NA", "N/A", "NaN", "nan", "null", "?"];

/// A parsed file: the features of each data row (row-major, the label column left out) and
/// its class index or regression target.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvTable {
    pub task: Task,
    /// Names of every column of the file: the header's cells, or "column N" without a header.
    pub columns: Vec<String>,
    pub has_header: bool,
    pub delimiter: char,
    /// Index of the label column in `columns`, from 0.
    pub label_column: usize,
    pub features: Vec<f32>,
    /// Class indices; empty for regression.
    pub labels: Vec<usize>,
    /// Regression targets as the file holds them (not standardized); empty for classification.
    pub targets: Vec<f32>,
    pub feature_names: Vec<String>,
    /// Class names in class-index order: text labels sorted, or numeric labels in numeric
    /// order. Empty for regression.
    pub class_names: Vec<String>,
}

/// Summary of a parsed file, which the page shows and copies into the spec.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CsvSummary {
    pub task: Task,
    pub columns: Vec<String>,
    pub has_header: bool,
    /// "comma", "semicolon" or "tab".
    pub delimiter: &'static str,
    pub label_column: usize,
    pub rows: usize,
    pub features: usize,
    /// 0 for regression.
    pub classes: usize,
    pub class_names: Vec<String>,
    /// Smallest and largest regression target; None for classification.
    pub target_range: Option<[f64; 2]>,
}

impl CsvTable {
    pub fn rows(&self) -> usize {
        self.labels.len().max(self.targets.len())
    }

    pub fn summary(&self) -> CsvSummary {
        let target_range = (self.task == Task::Regression).then(|| {
            let min = self.targets.iter().copied().fold(f32::INFINITY, f32::min);
            let max = self
                .targets
                .iter()
                .copied()
                .fold(f32::NEG_INFINITY, f32::max);
            [min as f64, max as f64]
        });
        CsvSummary {
            task: self.task,
            columns: self.columns.clone(),
            has_header: self.has_header,
            delimiter: match self.delimiter {
                ',' => "comma",
                ';' => "semicolon",
                _ => "tab",
            },
            label_column: self.label_column,
            rows: self.rows(),
            features: self.feature_names.len(),
            classes: self.class_names.len(),
            class_names: self.class_names.clone(),
            target_range,
        }
    }
}

/// One record of the file: its row number as a spreadsheet shows it and its cells.
#[derive(Debug)]
struct Record {
    row: usize,
    cells: Vec<String>,
}

impl Record {
    /// An empty line, which spreadsheets export at the end of a file; it is skipped.
    fn is_blank(&self) -> bool {
        self.cells.iter().all(|cell| cell.trim().is_empty())
    }
}

/// Parses `text` with the label in column `label_column` (from 0), or in the last column when
/// None, detecting the task from the label column.
pub fn parse(text: &str, label_column: Option<usize>) -> Result<CsvTable> {
    parse_as(text, label_column, None)
}

/// Parses `text` like [`parse`], as the `task` given, or detecting it when None.
pub fn parse_as(text: &str, label_column: Option<usize>, task: Option<Task>) -> Result<CsvTable> {
    if text.len() > MAX_CSV_BYTES {
        return Err(PlaygroundError::CsvTooLarge {
            bytes: text.len() as u64,
            max: MAX_CSV_BYTES as u64,
        });
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let delimiter = detect_delimiter(text);
    let decimal_comma = delimiter == ';';
    let (records, unclosed_quote) = split_records(text, delimiter, usize::MAX);
    if let Some(row) = unclosed_quote {
        return Err(PlaygroundError::CsvUnclosedQuote { row });
    }
    let mut records: Vec<Record> = records
        .into_iter()
        .filter(|record| !record.is_blank())
        .collect();
    let Some(first) = records.first() else {
        return Err(PlaygroundError::CsvTooFewRows {
            rows: 0,
            min: MIN_CSV_ROWS,
        });
    };

    let width = first.cells.len();
    for record in &records {
        if record.cells.len() != width {
            return Err(PlaygroundError::CsvRaggedRow {
                row: record.row,
                cells: record.cells.len(),
                expected: width,
                first_row: first.row,
            });
        }
    }
    // A delimiter at the end of every line leaves an empty last column; it carries no data.
    let width = if width > 1 && records.iter().all(|r| r.cells[width - 1].trim().is_empty()) {
        for record in &mut records {
            record.cells.pop();
        }
        width - 1
    } else {
        width
    };
    if width < 2 {
        return Err(PlaygroundError::CsvTooFewColumns { columns: width });
    }

    let has_header = records.len() >= 2 && is_header(&records[0], &records[1], decimal_comma);
    let columns: Vec<String> = (0..width)
        .map(|column| match has_header {
            true if !records[0].cells[column].trim().is_empty() => {
                records[0].cells[column].trim().to_string()
            }
            _ => format!("column {}", column + 1),
        })
        .collect();
    let data = if has_header {
        &records[1..]
    } else {
        &records[..]
    };

    let label_column = label_column.unwrap_or(width - 1);
    if label_column >= width {
        return Err(PlaygroundError::OutOfRange {
            field: "data.csv.label_column".to_string(),
            value: (label_column + 1).to_string(),
            min: "1".to_string(),
            max: width.to_string(),
            min_exclusive: false,
        });
    }
    let name_of = |column: usize| has_header.then(|| columns[column].clone());

    let mut features = Vec::with_capacity(data.len() * (width - 1));
    let mut label_cells = Vec::with_capacity(data.len());
    for record in data {
        for (column, cell) in record.cells.iter().enumerate() {
            let cell = cell.trim();
            if is_missing(cell) {
                return Err(PlaygroundError::CsvMissingValue {
                    row: record.row,
                    column: column + 1,
                    name: name_of(column),
                    value: cell.to_string(),
                });
            }
            if column == label_column {
                label_cells.push((record.row, cell));
                continue;
            }
            match parse_number(cell, decimal_comma) {
                Some(value) => features.push(value as f32),
                None => {
                    return Err(PlaygroundError::CsvNotNumeric {
                        row: record.row,
                        column: column + 1,
                        name: name_of(column),
                        value: cell.to_string(),
                    })
                }
            }
        }
    }

    let rows = data.len();
    if rows < MIN_CSV_ROWS {
        return Err(PlaygroundError::CsvTooFewRows {
            rows,
            min: MIN_CSV_ROWS,
        });
    }
    if rows > MAX_CSV_ROWS {
        return Err(PlaygroundError::CsvTooManyRows {
            rows,
            max: MAX_CSV_ROWS,
        });
    }

    let column = LabelColumn {
        column: label_column + 1,
        name: name_of(label_column),
        decimal_comma,
    };
    let task = task.unwrap_or_else(|| column.detect_task(&label_cells));
    let (labels, targets, class_names) = match task {
        Task::Classification => {
            let cells: Vec<&str> = label_cells.iter().map(|&(_, cell)| cell).collect();
            let (labels, class_names) = column.classify(&cells)?;
            (labels, Vec::new(), class_names)
        }
        Task::Regression => (Vec::new(), column.targets(&label_cells)?, Vec::new()),
    };
    let feature_names = (0..width)
        .filter(|&column| column != label_column)
        .map(|column| columns[column].clone())
        .collect();
    Ok(CsvTable {
        task,
        columns,
        has_header,
        delimiter,
        label_column,
        features,
        labels,
        targets,
        feature_names,
        class_names,
    })
}

/// The label column: its number from 1, its header name and how its numbers are written.
struct LabelColumn {
    column: usize,
    name: Option<String>,
    decimal_comma: bool,
}

impl LabelColumn {
    /// Returns regression when every cell is a number and some cell is not whole or the
    /// column holds more than [`MAX_NUMERIC_CLASSES`] distinct values; classification
    /// otherwise.
    fn detect_task(&self, cells: &[(usize, &str)]) -> Task {
        let numbers: Option<Vec<f64>> = cells
            .iter()
            .map(|&(_, cell)| parse_number(cell, self.decimal_comma))
            .collect();
        let Some(numbers) = numbers else {
            return Task::Classification;
        };
        let fractional = numbers.iter().any(|value| value.fract() != 0.0);
        let distinct: BTreeSet<u64> = numbers.iter().map(|value| value.to_bits()).collect();
        if fractional || distinct.len() > MAX_NUMERIC_CLASSES {
            Task::Regression
        } else {
            Task::Classification
        }
    }

    /// Reads each cell as a regression target, rejecting text and a column that holds one value.
    fn targets(&self, cells: &[(usize, &str)]) -> Result<Vec<f32>> {
        let mut targets = Vec::with_capacity(cells.len());
        for &(row, cell) in cells {
            let value = parse_number(cell, self.decimal_comma).ok_or_else(|| {
                PlaygroundError::CsvTargetNotNumeric {
                    row,
                    column: self.column,
                    name: self.name.clone(),
                    value: cell.to_string(),
                }
            })?;
            targets.push(value as f32);
        }
        if targets.windows(2).all(|pair| pair[0] == pair[1]) {
            return Err(PlaygroundError::CsvConstantTarget {
                column: self.column,
                name: self.name.clone(),
                value: cells.first().map_or("", |&(_, cell)| cell).to_string(),
            });
        }
        Ok(targets)
    }

    /// Turns label cells into class indices. Text labels become classes in sorted order, and a
    /// column of numbers becomes classes in numeric order, one per distinct value.
    fn classify(&self, cells: &[&str]) -> Result<(Vec<usize>, Vec<String>)> {
        let numbers: Option<Vec<f64>> = cells
            .iter()
            .map(|cell| parse_number(cell, self.decimal_comma))
            .collect();
        let (keys, class_names): (Vec<String>, Vec<String>) = match numbers {
            Some(numbers) => {
                let mut distinct = numbers.clone();
                distinct.sort_by(f64::total_cmp);
                distinct.dedup();
                // Display prints whole numbers without a fraction (2, not 2.0).
                let names = distinct.iter().map(f64::to_string).collect();
                let keys = numbers.iter().map(f64::to_string).collect();
                (keys, names)
            }
            None => {
                let distinct: BTreeSet<&str> = cells.iter().copied().collect();
                let keys = cells.iter().map(|cell| cell.to_string()).collect();
                (keys, distinct.into_iter().map(String::from).collect())
            }
        };

        if class_names.len() < 2 {
            return Err(PlaygroundError::CsvSingleClass {
                column: self.column,
                name: self.name.clone(),
                class: class_names.first().cloned().unwrap_or_default(),
            });
        }
        if class_names.len() > MAX_CSV_CLASSES {
            return Err(PlaygroundError::CsvTooManyClasses {
                column: self.column,
                name: self.name.clone(),
                classes: class_names.len(),
                max: MAX_CSV_CLASSES,
            });
        }
        let labels = keys
            .iter()
            .map(|key| class_names.iter().position(|class| class == key))
            .collect::<Option<Vec<usize>>>()
            .expect("every label is one of the classes collected from the labels");
        Ok((labels, class_names))
    }
}

/// Reads a cell as a finite number; with `decimal_comma`, a single comma stands for the point.
fn parse_number(cell: &str, decimal_comma: bool) -> Option<f64> {
    let value: f64 = if decimal_comma && cell.contains(',') && !cell.contains('.') {
        cell.replacen(',', ".", 1).parse().ok()?
    } else {
        cell.parse().ok()?
    };
    value.is_finite().then_some(value)
}

fn is_missing(cell: &str) -> bool {
    MISSING_MARKERS.contains(&cell)
}

/// Returns whether the first record is a header: some column contains text there and a number
/// below it.
fn is_header(first: &Record, second: &Record, decimal_comma: bool) -> bool {
    first.cells.iter().zip(&second.cells).any(|(top, below)| {
        let top = top.trim();
        !is_missing(top)
            && parse_number(top, decimal_comma).is_none()
            && parse_number(below.trim(), decimal_comma).is_some()
    })
}

/// Picks the delimiter that splits the first records into the same number of cells, more
/// than one. Among those it prefers the one under which more cells are numbers (a semicolon
/// file with decimal commas splits evenly on commas too), then the one with more columns.
fn detect_delimiter(text: &str) -> char {
    let mut best = (',', (false, 0, 0));
    for delimiter in DELIMITERS {
        // An unclosed quote is reported once the delimiter is known; the records before it
        // still show how the file splits.
        let (records, _) = split_records(text, delimiter, DETECTION_RECORDS);
        let records: Vec<&Record> = records.iter().filter(|r| !r.is_blank()).collect();
        let Some(first) = records.first() else {
            continue;
        };
        let width = first.cells.len();
        let consistent = width > 1 && records.iter().all(|r| r.cells.len() == width);
        let numeric = records
            .iter()
            .flat_map(|record| &record.cells)
            .filter(|cell| parse_number(cell.trim(), delimiter == ';').is_some())
            .count();
        let score = (consistent, numeric, width);
        if score > best.1 {
            best = (delimiter, score);
        }
    }
    best.0
}

/// Splits `text` into at most `limit` records. A quoted field may hold delimiters, line breaks
/// and `""` for a quote; text after its closing quote is kept, as spreadsheets do. Returns the
/// records and, when a quoted field runs to the end of the text, the row of the record that
/// opened it (that record is left out).
fn split_records(text: &str, delimiter: char, limit: usize) -> (Vec<Record>, Option<usize>) {
    let mut records = Vec::new();
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut row = 1;
    let mut in_quotes = false;
    // Whether the current cell has had any character yet, so that a quote opens a field only
    // at its start.
    let mut cell_started = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cell.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                cell.push(c);
            }
            continue;
        }
        match c {
            '"' if !cell_started => {
                in_quotes = true;
                cell_started = true;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                cells.push(std::mem::take(&mut cell));
                records.push(Record {
                    row,
                    cells: std::mem::take(&mut cells),
                });
                row += 1;
                cell_started = false;
                if records.len() >= limit {
                    return (records, None);
                }
            }
            c if c == delimiter => {
                cells.push(std::mem::take(&mut cell));
                cell_started = false;
            }
            c => {
                cell.push(c);
                // Leading spaces before an opening quote are allowed, as in `a, "b"`.
                cell_started |= c != ' ';
            }
        }
    }
    if in_quotes {
        return (records, Some(row));
    }
    if cell_started || !cell.is_empty() || !cells.is_empty() {
        cells.push(cell);
        records.push(Record { row, cells });
    }
    (records, None)
}
