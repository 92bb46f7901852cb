//! The CSV upload parser: files that spreadsheets and pandas write parse into the expected
//! rows and classes, and each kind of bad file gets a message that names the row, the column
//! and the fix.
#![cfg(not(target_arch = "wasm32"))]

use dfdx_playground::csv::{parse, parse_as, CsvTable, MAX_CSV_BYTES};
use dfdx_playground::spec::Task;
use dfdx_playground::PlaygroundError;

/// Builds a file of `rows` data rows `x,y,label` with labels cycling through `labels`, joined
/// by `delimiter` and ended by `newline`, after `header` when it is not empty.
fn file(header: &str, rows: usize, labels: &[&str], delimiter: &str, newline: &str) -> String {
    let mut text = String::new();
    if !header.is_empty() {
        text.push_str(header);
        text.push_str(newline);
    }
    for row in 0..rows {
        let label = labels[row % labels.len()];
        let cells = [
            format!("{}", row),
            format!("{}.5", row % 7),
            label.to_string(),
        ];
        text.push_str(&cells.join(delimiter));
        text.push_str(newline);
    }
    text
}

fn parse_ok(name: &str, text: &str, label: Option<usize>) -> CsvTable {
    match parse(text, label) {
        Ok(table) => table,
        Err(error) => panic!("case {name}: expected a table, got {error}"),
    }
}

struct GoodCase {
    name: &'static str,
    text: String,
    label: Option<usize>,
    rows: usize,
    columns: &'static [&'static str],
    has_header: bool,
    delimiter: char,
    class_names: &'static [&'static str],
}

#[test]
fn good_files_parse() {
    let cases = [
        GoodCase {
            name: "comma, header, text labels",
            text: file("a,b,species", 12, &["virginica", "setosa"], ",", "\n"),
            label: None,
            rows: 12,
            columns: &["a", "b", "species"],
            has_header: true,
            delimiter: ',',
            class_names: &["setosa", "virginica"],
        },
        GoodCase {
            name: "semicolon, CRLF, byte order mark",
            text: format!(
                "\u{feff}{}",
                file("a;b;kind", 10, &["x", "y", "z"], ";", "\r\n")
            ),
            label: None,
            rows: 10,
            columns: &["a", "b", "kind"],
            has_header: true,
            delimiter: ';',
            class_names: &["x", "y", "z"],
        },
        GoodCase {
            name: "tab, no header, numeric labels",
            text: file("", 15, &["2", "0", "1"], "\t", "\n"),
            label: None,
            rows: 15,
            columns: &["column 1", "column 2", "column 3"],
            has_header: false,
            delimiter: '\t',
            class_names: &["0", "1", "2"],
        },
        GoodCase {
            name: "quoted labels with delimiters, quotes and line breaks",
            text: file(
                "\"a\",\"b\",\"label\"",
                10,
                &["\"big, \"\"red\"\"\"", "\"two\nlines\""],
                ",",
                "\n",
            ),
            label: None,
            rows: 10,
            columns: &["a", "b", "label"],
            has_header: true,
            delimiter: ',',
            class_names: &["big, \"red\"", "two\nlines"],
        },
        GoodCase {
            name: "trailing delimiters and blank lines",
            text: file("a,b,c,", 10, &["p,", "q,"], ",", "\n") + "\n\n",
            label: None,
            rows: 10,
            columns: &["a", "b", "c"],
            has_header: true,
            delimiter: ',',
            class_names: &["p", "q"],
        },
        GoodCase {
            name: "first column as label",
            text: file("a,b,c", 10, &["1", "2"], ",", "\n"),
            label: Some(0),
            rows: 10,
            columns: &["a", "b", "c"],
            has_header: true,
            delimiter: ',',
            // Column a contains 0 to 9, ten whole numbers, so they are classes.
            class_names: &["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
        },
    ];
    for case in cases {
        let name = case.name;
        let table = parse_ok(name, &case.text, case.label);
        assert_eq!(table.rows(), case.rows, "case {name}: rows");
        assert_eq!(table.columns, case.columns, "case {name}: columns");
        assert_eq!(table.has_header, case.has_header, "case {name}: header");
        assert_eq!(table.delimiter, case.delimiter, "case {name}: delimiter");
        assert_eq!(table.class_names, case.class_names, "case {name}: classes");
        assert_eq!(
            table.features.len(),
            case.rows * 2,
            "case {name}: feature cells"
        );
        assert_eq!(table.feature_names.len(), 2, "case {name}: feature names");
    }
}

#[test]
fn values_and_labels_land_in_place() {
    let text = "x;y;label\n1,5;2;b\n-3;4e2;a\n".to_string() + &"0;0;a\n".repeat(8);
    let table = parse_ok("decimal comma", &text, None);
    assert_eq!(&table.features[..4], &[1.5, 2.0, -3.0, 400.0]);
    assert_eq!(&table.labels[..3], &[1, 0, 0]);
    assert_eq!(table.feature_names, ["x", "y"]);

    // A label column other than the last leaves the others as features, in file order.
    let moved = "label;y;z\nb;1,5;2\na;-3;4e2\n".to_string() + &"a;0;0\n".repeat(8);
    let table = parse_ok("label first", &moved, Some(0));
    assert_eq!(table.label_column, 0);
    assert_eq!(table.feature_names, ["y", "z"]);
    assert_eq!(&table.features[..4], &[1.5, 2.0, -3.0, 400.0]);
    assert_eq!(&table.labels[..3], &[1, 0, 0]);
}

struct BadCase {
    name: &'static str,
    text: String,
    label: Option<usize>,
    error: PlaygroundError,
    message: &'static str,
}

/// Replaces the `row`-th line (from 1) of `text` with `line`.
fn with_line(text: &str, row: usize, line: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    lines[row - 1] = line;
    lines.join("\n") + "\n"
}

#[test]
fn bad_files_name_row_column_and_fix() {
    let good = file("a,b,label", 12, &["x", "y"], ",", "\n");
    let cases = [
        BadCase {
            name: "empty cell",
            text: with_line(&good, 4, "2,,x"),
            label: None,
            error: PlaygroundError::CsvMissingValue {
                row: 4,
                column: 2,
                name: Some("b".into()),
                value: String::new(),
            },
            message: "Row 4, column 2 (\"b\") of the CSV file is empty; fill in a value or \
                      remove the row.",
        },
        BadCase {
            name: "NA marker",
            text: with_line(&good, 13, "NA,1,y"),
            label: None,
            error: PlaygroundError::CsvMissingValue {
                row: 13,
                column: 1,
                name: Some("a".into()),
                value: "NA".into(),
            },
            message: "Row 13, column 1 (\"a\") of the CSV file is missing (NA); fill in a \
                      value or remove the row.",
        },
        BadCase {
            name: "text in a feature column",
            text: with_line(&good, 3, "two,1.5,y"),
            label: None,
            error: PlaygroundError::CsvNotNumeric {
                row: 3,
                column: 1,
                name: Some("a".into()),
                value: "two".into(),
            },
            message: "Row 3, column 1 (\"a\") of the CSV file is \"two\", which is not a \
                      number; features must be numbers, so fix the cell or pick this column \
                      as the label.",
        },
        BadCase {
            name: "text in a feature column without header",
            text: file("", 12, &["x", "y"], ",", "\n").replace("5,5.5,y", "5,5.5.5,y"),
            label: None,
            error: PlaygroundError::CsvNotNumeric {
                row: 6,
                column: 2,
                name: None,
                value: "5.5.5".into(),
            },
            message: "Row 6, column 2 of the CSV file is \"5.5.5\", which is not a number; \
                      features must be numbers, so fix the cell or pick this column as the \
                      label.",
        },
        BadCase {
            name: "ragged row",
            text: with_line(&good, 5, "3,x"),
            label: None,
            error: PlaygroundError::CsvRaggedRow {
                row: 5,
                cells: 2,
                expected: 3,
                first_row: 1,
            },
            message: "Row 5 of the CSV file has 2 cells, but row 1 has 3; give every row the \
                      same number of cells.",
        },
        BadCase {
            name: "single class",
            text: file("a,b,label", 12, &["only"], ",", "\n"),
            label: None,
            error: PlaygroundError::CsvSingleClass {
                column: 3,
                name: Some("label".into()),
                class: "only".into(),
            },
            message: "The label column (column 3 (\"label\")) holds only the class \"only\"; \
                      pick a label column with at least 2 classes.",
        },
        BadCase {
            name: "nine rows",
            text: file("a,b,label", 9, &["x", "y"], ",", "\n"),
            label: None,
            error: PlaygroundError::CsvTooFewRows { rows: 9, min: 10 },
            message: "The CSV file has 9 data rows, fewer than the 10 needed to train; add rows.",
        },
        BadCase {
            name: "empty file",
            text: "\u{feff}\r\n".into(),
            label: None,
            error: PlaygroundError::CsvTooFewRows { rows: 0, min: 10 },
            message: "The CSV file has 0 data rows, fewer than the 10 needed to train; add rows.",
        },
        BadCase {
            name: "over the size limit",
            text: "1,2,a\n".repeat(MAX_CSV_BYTES / 6 + 1),
            label: None,
            error: PlaygroundError::CsvTooLarge {
                bytes: (MAX_CSV_BYTES / 6 + 1) as u64 * 6,
                max: MAX_CSV_BYTES as u64,
            },
            message: "The CSV file has 10485762 bytes, more than the limit of 10485760 bytes \
                      (10 MiB); upload a smaller file.",
        },
        BadCase {
            name: "constant regression target",
            text: "a,target\n".to_string()
                + &(0..12).map(|i| format!("{i},2.5\n")).collect::<String>(),
            label: None,
            error: PlaygroundError::CsvConstantTarget {
                column: 2,
                name: Some("target".into()),
                value: "2.5".into(),
            },
            message: "The target column (column 2 (\"target\")) holds 2.5 in every row, so \
                      there is nothing to learn; pick a target column whose values vary.",
        },
        BadCase {
            name: "regression with nine rows",
            text: "a,target\n".to_string()
                + &(0..9).map(|i| format!("{i},{i}.5\n")).collect::<String>(),
            label: None,
            error: PlaygroundError::CsvTooFewRows { rows: 9, min: 10 },
            message: "The CSV file has 9 data rows, fewer than the 10 needed to train; add rows.",
        },
        BadCase {
            name: "unclosed quote",
            text: good.clone() + "1,2,\"open\n3,4,x\n",
            label: None,
            error: PlaygroundError::CsvUnclosedQuote { row: 14 },
            message: "Row 14 of the CSV file opens a quoted field that is never closed; add \
                      the closing quote (\").",
        },
        BadCase {
            name: "one column",
            text: "label\n".to_string() + &"x\n".repeat(12),
            label: None,
            error: PlaygroundError::CsvTooFewColumns { columns: 1 },
            message: "The CSV file has 1 column; it needs at least one feature column and a \
                      label column, separated by commas, semicolons or tabs.",
        },
        BadCase {
            name: "label column past the last",
            text: good.clone(),
            label: Some(3),
            error: PlaygroundError::OutOfRange {
                field: "data.csv.label_column".into(),
                value: "4".into(),
                min: "1".into(),
                max: "3".into(),
                min_exclusive: false,
            },
            message: "data.csv.label_column is 4, which is out of range; use a value from 1 \
                      to 3.",
        },
        BadCase {
            name: "an id column as label",
            text: "name,x\n".to_string()
                + &(0..120).map(|i| format!("id{i},{i}\n")).collect::<String>(),
            label: Some(0),
            error: PlaygroundError::CsvTooManyClasses {
                column: 1,
                name: Some("name".into()),
                classes: 120,
                max: 100,
            },
            message: "The label column (column 1 (\"name\")) holds 120 classes, more than the \
                      limit of 100; pick a label column with fewer classes.",
        },
    ];
    for case in cases {
        let name = case.name;
        let error = match parse(&case.text, case.label) {
            Ok(table) => panic!("case {name}: expected an error, got {} rows", table.rows()),
            Err(error) => error,
        };
        assert_eq!(error, case.error, "case {name}: error");
        assert_eq!(error.to_string(), case.message, "case {name}: message");
    }
}

/// Builds `rows` rows `x,target` with the target `target(row)`, after a header.
fn regression_file(rows: usize, target: impl Fn(usize) -> String) -> String {
    let mut text = "x,target\n".to_string();
    for row in 0..rows {
        text.push_str(&format!("{row},{}\n", target(row)));
    }
    text
}

struct TaskCase {
    name: &'static str,
    text: String,
    task: Option<Task>,
    expected: Task,
    classes: usize,
}

#[test]
fn label_column_sets_task() {
    let cases = [
        TaskCase {
            name: "fractional numbers",
            text: regression_file(12, |row| format!("{}.25", row % 3)),
            task: None,
            expected: Task::Regression,
            classes: 0,
        },
        TaskCase {
            name: "21 distinct whole numbers",
            text: regression_file(21, |row| (row * 3).to_string()),
            task: None,
            expected: Task::Regression,
            classes: 0,
        },
        TaskCase {
            name: "20 distinct whole numbers",
            text: regression_file(20, |row| (row * 3).to_string()),
            task: None,
            expected: Task::Classification,
            classes: 20,
        },
        TaskCase {
            name: "text labels",
            text: regression_file(12, |row| ["a", "b"][row % 2].to_string()),
            task: None,
            expected: Task::Classification,
            classes: 2,
        },
        TaskCase {
            name: "whole numbers forced to regression",
            text: regression_file(12, |row| (row % 3).to_string()),
            task: Some(Task::Regression),
            expected: Task::Regression,
            classes: 0,
        },
        TaskCase {
            name: "many numbers forced to classification",
            text: regression_file(30, |row| format!("{}.5", row % 25)),
            task: Some(Task::Classification),
            expected: Task::Classification,
            classes: 25,
        },
    ];
    for case in cases {
        let name = case.name;
        let table = match parse_as(&case.text, None, case.task) {
            Ok(table) => table,
            Err(error) => panic!("case {name}: expected a table, got {error}"),
        };
        assert_eq!(table.task, case.expected, "case {name}: task");
        assert_eq!(
            table.class_names.len(),
            case.classes,
            "case {name}: classes"
        );
        let summary = table.summary();
        assert_eq!(summary.task, case.expected, "case {name}: summary task");
        match case.expected {
            Task::Regression => {
                assert_eq!(table.targets.len(), table.rows(), "case {name}: targets");
                assert!(table.labels.is_empty(), "case {name}: labels");
                assert!(summary.target_range.is_some(), "case {name}: range");
            }
            Task::Classification => {
                assert_eq!(table.labels.len(), table.rows(), "case {name}: labels");
                assert!(table.targets.is_empty(), "case {name}: targets");
                assert!(summary.target_range.is_none(), "case {name}: range");
            }
        }
    }
}

#[test]
fn regression_targets_land_in_place() {
    // Decimal commas in a semicolon file, and the target in the first column.
    let text = "price;x\n1,5;2\n-3,25;4\n".to_string() + &"0,5;0\n".repeat(8);
    let table = parse_as(&text, Some(0), None).expect("a regression table");
    assert_eq!(table.task, Task::Regression);
    assert_eq!(&table.targets[..3], &[1.5, -3.25, 0.5]);
    assert_eq!(&table.features[..3], &[2.0, 4.0, 0.0]);
    assert_eq!(table.summary().target_range, Some([-3.25, 1.5]));
}

#[test]
fn regression_rejects_text_target() {
    let text = regression_file(12, |row| format!("{row}.5")).replace("4,4.5", "4,n/a");
    let error = parse_as(&text, None, Some(Task::Regression)).unwrap_err();
    assert_eq!(
        error,
        PlaygroundError::CsvTargetNotNumeric {
            row: 6,
            column: 2,
            name: Some("target".into()),
            value: "n/a".into(),
        }
    );
    assert_eq!(
        error.to_string(),
        "Row 6, column 2 (\"target\") of the CSV file is \"n/a\", which is not a number; a \
         regression target must be a number, so fix the cell or train a classification."
    );

    // Detection reads the same column as text, so as classes.
    let table = parse_as(&text, None, None).expect("a classification table");
    assert_eq!(table.task, Task::Classification);
    assert_eq!(table.class_names.len(), 12);
}
