//! Data sets: the shipped Iris rows, the shipped UCI files whose text the caller passes in,
//! uploaded CSV files and TensorFlow Playground's 2-D sets generated from the seed, split into
//! training, validation and test rows and optionally standardized.

use crate::csv;
use crate::error::{PlaygroundError, Result};
use crate::rng::SplitMix64;
use crate::spec::{
    data_shape, train_rows, validation_rows, DataSet, Task, ValidSpec, TEACHER_CLASSES,
    TEACHER_FEATURES,
};
use serde::Serialize;
use std::f64::consts::PI;

/// scikit-learn's copy of the UCI Iris data (CC BY 4.0); see data/README.md.
const IRIS_CSV: &str = include_str!("../data/iris.csv");

/// Column names of wine_data.csv, as scikit-learn's `load_wine` names them.
const WINE_FEATURES: [&str; 13] = [
    "alcohol",
    "malic_acid",
    "ash",
    "alcalinity_of_ash",
    "magnesium",
    "total_phenols",
    "flavanoids",
    "nonflavanoid_phenols",
    "proanthocyanins",
    "color_intensity",
    "hue",
    "od280/od315_of_diluted_wines",
    "proline",
];

/// Column names of breast_cancer.csv, as scikit-learn's `load_breast_cancer` names them: the
/// mean, standard error and worst value of ten measurements of the cell nuclei.
const BREAST_CANCER_MEASUREMENTS: [&str; 10] = [
    "radius",
    "texture",
    "perimeter",
    "area",
    "smoothness",
    "compactness",
    "concavity",
    "concave points",
    "symmetry",
    "fractal dimension",
];

/// Pixel values of digits.csv run from 0 to 16; the playground divides them by this.
const DIGITS_PIXEL_MAX: f32 = 16.0;

/// Rows of features (row-major) with a class index each (classification) or a real-valued
/// target each (regression). Exactly one of `labels` and `targets` holds a value per row; the
/// other is empty.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Split {
    pub features: Vec<f32>,
    pub labels: Vec<usize>,
    pub targets: Vec<f32>,
}

impl Split {
    pub fn rows(&self) -> usize {
        self.labels.len().max(self.targets.len())
    }

    /// Copies the rows at `indices`, in that order, into a new split.
    pub fn select(&self, indices: &[usize], width: usize) -> Split {
        let mut split = Split {
            features: Vec::with_capacity(indices.len() * width),
            ..Split::default()
        };
        for &row in indices {
            split
                .features
                .extend_from_slice(&self.features[row * width..(row + 1) * width]);
            if !self.labels.is_empty() {
                split.labels.push(self.labels[row]);
            }
            if !self.targets.is_empty() {
                split.targets.push(self.targets[row]);
            }
        }
        split
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub task: Task,
    pub train: Split,
    /// Empty when the spec's validation share is 0.
    pub validation: Split,
    /// Empty when the spec trains on every row.
    pub test: Split,
    pub features: usize,
    /// Empty for regression.
    pub class_names: Vec<String>,
    pub feature_names: Vec<String>,
}

/// Streams drawn from the seed; each purpose has its own so that changing one (say, the
/// split) leaves the others (say, the initial weights) as they were.
pub(crate) const STREAM_DATA: u64 = 1;
pub(crate) const STREAM_SPLIT: u64 = 2;
pub(crate) const STREAM_INIT: u64 = 3;
pub(crate) const STREAM_SHUFFLE: u64 = 4;
pub(crate) const STREAM_DROPOUT: u64 = 5;

/// Summary of the data that the page shows beside the network.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataSummary {
    pub task: Task,
    pub train_rows: usize,
    pub validation_rows: usize,
    pub test_rows: usize,
    pub features: usize,
    pub class_names: Vec<String>,
    pub feature_names: Vec<String>,
}

impl Dataset {
    /// Loads or generates the rows, splits them and standardizes them as the spec sets. `text`
    /// is the content of the file behind the wine, breast cancer, digits and CSV sets; the
    /// other sets ignore it.
    pub fn load(valid: &ValidSpec, text: Option<&str>) -> Result<Self> {
        let spec = &valid.spec.data;
        let text = || {
            text.ok_or_else(|| PlaygroundError::DataTextMissing {
                data: spec.set.name().to_string(),
            })
        };
        let (all, features, class_names, feature_names) = match spec.set {
            DataSet::Iris => {
                let (all, names) = parse_iris(IRIS_CSV)?;
                let features = [
                    "sepal length (cm)",
                    "sepal width (cm)",
                    "petal length (cm)",
                    "petal width (cm)",
                ];
                (all, 4, names, features.map(String::from).to_vec())
            }
            DataSet::Teacher => {
                let mut rng = SplitMix64::stream(valid.seed, STREAM_DATA);
                let all = generate_teacher(valid.samples, &mut rng);
                let classes = (0..TEACHER_CLASSES).map(|c| c.to_string()).collect();
                let names = (1..=TEACHER_FEATURES).map(|i| format!("x{i}")).collect();
                (all, TEACHER_FEATURES, classes, names)
            }
            DataSet::Wine => {
                let (all, names) = parse_counted_csv("wine_data.csv", text()?)?;
                let features = WINE_FEATURES.map(String::from).to_vec();
                (all, features.len(), names, features)
            }
            DataSet::BreastCancer => {
                let (all, names) = parse_counted_csv("breast_cancer.csv", text()?)?;
                let means = BREAST_CANCER_MEASUREMENTS.map(|m| format!("mean {m}"));
                let errors = BREAST_CANCER_MEASUREMENTS.map(|m| format!("{m} error"));
                let worst = BREAST_CANCER_MEASUREMENTS.map(|m| format!("worst {m}"));
                let features: Vec<String> = [means, errors, worst].concat();
                (all, features.len(), names, features)
            }
            DataSet::Digits => {
                let all = parse_digits(text()?)?;
                let classes = (0..10).map(|digit| digit.to_string()).collect();
                let names = (0..64)
                    .map(|pixel| format!("pixel_{}_{}", pixel / 8, pixel % 8))
                    .collect();
                (all, 64, classes, names)
            }
            DataSet::Csv => {
                let shape = spec.csv.as_ref().expect("validation requires data.csv");
                let table =
                    csv::parse_as(text()?, Some(shape.label_column as usize), Some(shape.task))?;
                let found = (
                    table.rows(),
                    table.feature_names.len(),
                    table.class_names.len(),
                );
                let expected = (
                    shape.rows as usize,
                    shape.features as usize,
                    shape.classes as usize,
                );
                if found != expected {
                    return Err(PlaygroundError::Data {
                        message: format!(
                            "the CSV file has {} rows, {} features and {} classes, but the spec \
                             expects {}, {} and {}; upload the file again",
                            found.0, found.1, found.2, expected.0, expected.1, expected.2
                        ),
                    });
                }
                let all = Split {
                    features: table.features,
                    labels: table.labels,
                    targets: table.targets,
                };
                (all, found.1, table.class_names, table.feature_names)
            }
            set @ (DataSet::Plane | DataSet::MultiGaussian) => {
                let mut rng = SplitMix64::stream(valid.seed, STREAM_DATA);
                let all = generate_regression(set, valid.samples, spec.noise / 100.0, &mut rng);
                (all, 2, Vec::new(), vec!["x1".to_string(), "x2".to_string()])
            }
            set => {
                let mut rng = SplitMix64::stream(valid.seed, STREAM_DATA);
                let all = generate_2d(set, valid.samples, spec.noise / 100.0, &mut rng);
                let classes = vec!["0".to_string(), "1".to_string()];
                (all, 2, classes, vec!["x1".to_string(), "x2".to_string()])
            }
        };

        let rows = all.rows();
        // The shipped files are fixed, so a difference here means a damaged copy.
        let shape = data_shape(spec, valid.samples)?;
        if rows != shape.rows || features != shape.features || class_names.len() != shape.classes {
            return Err(PlaygroundError::Data {
                message: format!(
                    "{} has {rows} rows of {features} features and {} classes, not {} rows of \
                     {} features and {} classes",
                    spec.set.name(),
                    class_names.len(),
                    shape.rows,
                    shape.features,
                    shape.classes
                ),
            });
        }
        if all.targets.len()
            != if shape.task == Task::Regression {
                rows
            } else {
                0
            }
        {
            return Err(PlaygroundError::Data {
                message: format!(
                    "{} has {} regression targets for {rows} rows",
                    spec.set.name(),
                    all.targets.len()
                ),
            });
        }
        // Rows before `cut` train (the last `validation` of them validate), the rest test. With
        // neither split the rows keep their order, as they did before splits existed.
        let mut order: Vec<usize> = (0..rows).collect();
        let cut = train_rows(rows, spec.train_percent);
        let validation = validation_rows(cut, spec.validation_percent);
        if cut < rows || validation > 0 {
            SplitMix64::stream(valid.seed, STREAM_SPLIT).shuffle(&mut order);
        }
        let (train, validation, test) = if cut >= rows && validation == 0 {
            (all, Split::default(), Split::default())
        } else {
            (
                all.select(&order[..cut - validation], features),
                all.select(&order[cut - validation..cut], features),
                all.select(&order[cut..], features),
            )
        };
        let mut dataset = Dataset {
            task: shape.task,
            train,
            validation,
            test,
            features,
            class_names,
            feature_names,
        };
        if spec.standardize {
            dataset.standardize();
        }
        Ok(dataset)
    }

    /// Z-scores each feature with the training rows' mean and population standard deviation,
    /// as scikit-learn's StandardScaler does, and applies the same transform to the validation
    /// and test rows. Regression targets stay as they are.
    fn standardize(&mut self) {
        let width = self.features;
        let rows = self.train.rows() as f64;
        for column in 0..width {
            let values = || self.train.features.iter().skip(column).step_by(width);
            let mean = values().map(|&x| x as f64).sum::<f64>() / rows;
            let variance = values().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / rows;
            // A constant column keeps its values centred but unscaled, as StandardScaler does.
            let scale = if variance > 0.0 { variance.sqrt() } else { 1.0 };
            for split in [&mut self.train, &mut self.validation, &mut self.test] {
                for x in split.features.iter_mut().skip(column).step_by(width) {
                    *x = ((*x as f64 - mean) / scale) as f32;
                }
            }
        }
    }

    pub fn summary(&self) -> DataSummary {
        DataSummary {
            task: self.task,
            train_rows: self.train.rows(),
            validation_rows: self.validation.rows(),
            test_rows: self.test.rows(),
            features: self.features,
            class_names: self.class_names.clone(),
            feature_names: self.feature_names.clone(),
        }
    }
}

/// Parses scikit-learn's iris.csv: a header `150,4,name,name,name`, then rows of four floats
/// and a class index.
pub fn parse_iris(csv: &str) -> Result<(Split, Vec<String>)> {
    parse_counted_csv("iris.csv", csv)
}

/// Parses one of scikit-learn's counted CSV files (iris.csv, wine_data.csv,
/// breast_cancer.csv): a header `rows,features,class name,…`, then rows of the features and
/// a class index. `file` names the file in error messages.
pub fn parse_counted_csv(file: &str, csv: &str) -> Result<(Split, Vec<String>)> {
    let fail = |line: usize, message: &str| PlaygroundError::Data {
        message: format!("{file} line {line}: {message}"),
    };
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    if header.len() < 3 {
        return Err(fail(1, "expected a header `rows,features,class names`"));
    }
    let rows: usize = header[0]
        .trim()
        .parse()
        .map_err(|_| fail(1, "bad row count"))?;
    let width: usize = header[1]
        .trim()
        .parse()
        .map_err(|_| fail(1, "bad feature count"))?;
    let names: Vec<String> = header[2..].iter().map(|s| s.trim().to_string()).collect();

    let mut split = Split::default();
    for (index, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let line_number = index + 2;
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != width + 1 {
            return Err(fail(line_number, "wrong number of cells"));
        }
        for cell in &cells[..width] {
            let value: f32 = cell
                .parse()
                .map_err(|_| fail(line_number, "non-numeric cell"))?;
            split.features.push(value);
        }
        let label: usize = cells[width]
            .parse()
            .ok()
            .filter(|&label| label < names.len())
            .ok_or_else(|| fail(line_number, "class index out of range"))?;
        split.labels.push(label);
    }
    if split.rows() != rows {
        return Err(fail(1, "row count does not match the header"));
    }
    Ok((split, names))
}

/// Parses scikit-learn's digits file (gunzipped): rows of 64 pixel values from 0 to 16 (an 8x8
/// image, row-major) and the digit, without a header. Pixels are divided by 16.
pub fn parse_digits(csv: &str) -> Result<Split> {
    let fail = |line: usize, message: &str| PlaygroundError::Data {
        message: format!("digits.csv line {line}: {message}"),
    };
    let mut split = Split::default();
    for (index, line) in csv
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let line_number = index + 1;
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != 65 {
            return Err(fail(line_number, "wrong number of cells"));
        }
        for cell in &cells[..64] {
            let value: f32 = cell
                .parse()
                .map_err(|_| fail(line_number, "non-numeric cell"))?;
            split.features.push(value / DIGITS_PIXEL_MAX);
        }
        let digit: usize = cells[64]
            .parse()
            .ok()
            .filter(|&digit| digit < 10)
            .ok_or_else(|| fail(line_number, "digit out of range"))?;
        split.labels.push(digit);
    }
    Ok(split)
}

/// Generates one of TensorFlow Playground's 2-D sets. Coordinates lie in about [-6, 6]; `noise`
/// is a fraction from 0 to 0.5. Labels follow the shape before noise is added, so noise moves
/// points across the class boundary.
pub fn generate_2d(set: DataSet, samples: usize, noise: f64, rng: &mut SplitMix64) -> Split {
    let mut split = Split::default();
    let mut push = |x: f64, y: f64, label: usize| {
        split.features.push(x as f32);
        split.features.push(y as f32);
        split.labels.push(label);
    };
    match set {
        DataSet::Circle => {
            // Class 1 fills a disc of radius 2.5; class 0 a ring from 3.5 to 5.
            const RADIUS: f64 = 5.0;
            for i in 0..samples {
                let label = usize::from(i < samples / 2);
                let r = if label == 1 {
                    rng.uniform(0.0, RADIUS * 0.5)
                } else {
                    rng.uniform(RADIUS * 0.7, RADIUS)
                };
                let angle = rng.uniform(0.0, 2.0 * PI);
                let dx = rng.uniform(-RADIUS, RADIUS) * noise;
                let dy = rng.uniform(-RADIUS, RADIUS) * noise;
                push(r * angle.sin() + dx, r * angle.cos() + dy, label);
            }
        }
        DataSet::Xor => {
            // Quadrants, with a 0.3 gap along the axes so that no point sits on the boundary.
            const PADDING: f64 = 0.3;
            for _ in 0..samples {
                let mut x = rng.uniform(-5.0, 5.0);
                let mut y = rng.uniform(-5.0, 5.0);
                x += PADDING.copysign(x);
                y += PADDING.copysign(y);
                let label = usize::from(x * y >= 0.0);
                let dx = rng.uniform(-5.0, 5.0) * noise;
                let dy = rng.uniform(-5.0, 5.0) * noise;
                push(x + dx, y + dy, label);
            }
        }
        DataSet::Gaussian => {
            // Two Gaussian clusters at (2, 2) and (-2, -2); noise widens their standard
            // deviation from 0.5 (no noise) to 4 (noise 0.5).
            let std_dev = 0.5 + 7.0 * noise;
            for i in 0..samples {
                let label = usize::from(i < samples / 2);
                let centre = if label == 1 { 2.0 } else { -2.0 };
                let x = centre + rng.normal() * std_dev;
                let y = centre + rng.normal() * std_dev;
                push(x, y, label);
            }
        }
        DataSet::Spiral => {
            // Two interleaved arms, each 1.75 turns long, from the centre out to radius 5.
            let half = samples / 2;
            for i in 0..samples {
                let (label, j, offset) = if i < half {
                    (1, i, 0.0)
                } else {
                    (0, i - half, PI)
                };
                let arm = (samples - half).max(half) as f64;
                let r = j as f64 / arm * 5.0;
                let t = 1.75 * j as f64 / arm * 2.0 * PI + offset;
                let dx = rng.uniform(-1.0, 1.0) * noise;
                let dy = rng.uniform(-1.0, 1.0) * noise;
                push(r * t.sin() + dx, r * t.cos() + dy, label);
            }
        }
        _ => unreachable!("{set:?} is not a 2-D set"),
    }
    split
}

/// Centres and signs of the six bumps of the multi-Gaussian set, as TensorFlow Playground
/// places them: two rows of three, alternating in sign.
const MULTI_GAUSSIAN_BUMPS: [(f64, f64, f64); 6] = [
    (-4.0, 2.5, 1.0),
    (0.0, 2.5, -1.0),
    (4.0, 2.5, 1.0),
    (-4.0, -2.5, -1.0),
    (0.0, -2.5, 1.0),
    (4.0, -2.5, -1.0),
];

/// Generates one of TensorFlow Playground's regression sets: points drawn uniformly from
/// [-6, 6]², each with a real-valued target in [-1, 1]. `noise` (a fraction from 0 to 0.5)
/// shifts the point at which the target is read by up to 6 · noise along each axis, while the
/// features keep the unshifted point.
///
/// - Plane: target (x + y) / 10, TensorFlow Playground's linear map of x + y from [-10, 10] to
///   [-1, 1] (unclamped, so shifted points near the corners reach about ±1.2 · (1 + noise)).
/// - Multi-Gaussian: each bump contributes sign · max(0, 1 - d / 2), d being the distance to its
///   centre, and the target is the contribution of largest magnitude (0 far from every bump).
pub fn generate_regression(
    set: DataSet,
    samples: usize,
    noise: f64,
    rng: &mut SplitMix64,
) -> Split {
    const RADIUS: f64 = 6.0;
    let mut split = Split {
        features: Vec::with_capacity(samples * 2),
        labels: Vec::new(),
        targets: Vec::with_capacity(samples),
    };
    for _ in 0..samples {
        let x = rng.uniform(-RADIUS, RADIUS);
        let y = rng.uniform(-RADIUS, RADIUS);
        let shifted_x = x + rng.uniform(-RADIUS, RADIUS) * noise;
        let shifted_y = y + rng.uniform(-RADIUS, RADIUS) * noise;
        let target = match set {
            DataSet::Plane => (shifted_x + shifted_y) / 10.0,
            DataSet::MultiGaussian => {
                let mut target = 0.0f64;
                for (cx, cy, sign) in MULTI_GAUSSIAN_BUMPS {
                    let distance = (shifted_x - cx).hypot(shifted_y - cy);
                    let value = sign * (1.0 - distance / 2.0).clamp(0.0, 1.0);
                    if value.abs() > target.abs() {
                        target = value;
                    }
                }
                target
            }
            _ => unreachable!("{set:?} is not a regression set"),
        };
        split.features.push(x as f32);
        split.features.push(y as f32);
        split.targets.push(target as f32);
    }
    split
}

/// Generates `samples` rows of standard-normal features, each labelled with the argmax of its
/// product with a standard-normal teacher matrix (features × classes) drawn first from `rng`.
pub fn generate_teacher(samples: usize, rng: &mut SplitMix64) -> Split {
    let teacher: Vec<f64> = (0..TEACHER_FEATURES * TEACHER_CLASSES)
        .map(|_| rng.normal())
        .collect();
    let mut split = Split {
        features: Vec::with_capacity(samples * TEACHER_FEATURES),
        labels: Vec::with_capacity(samples),
        targets: Vec::new(),
    };
    for _ in 0..samples {
        let row: Vec<f64> = (0..TEACHER_FEATURES).map(|_| rng.normal()).collect();
        let mut scores = [0.0f64; TEACHER_CLASSES];
        for (i, &x) in row.iter().enumerate() {
            for (class, score) in scores.iter_mut().enumerate() {
                *score += x * teacher[i * TEACHER_CLASSES + class];
            }
        }
        let mut label = 0;
        for class in 1..TEACHER_CLASSES {
            if scores[class] > scores[label] {
                label = class;
            }
        }
        split.features.extend(row.iter().map(|&x| x as f32));
        split.labels.push(label);
    }
    split
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iris_parses_150_rows() {
        let (split, names) = parse_iris(IRIS_CSV).unwrap();
        assert_eq!(split.rows(), 150);
        assert_eq!(split.features.len(), 600);
        assert_eq!(names, ["setosa", "versicolor", "virginica"]);
        for class in 0..3 {
            assert_eq!(split.labels.iter().filter(|&&l| l == class).count(), 50);
        }
        assert_eq!(&split.features[..4], &[5.1, 3.5, 1.4, 0.2]);
    }

    #[test]
    fn iris_rejects_bad_rows() {
        let cases = [
            ("2,4,a,b\n1,2,3,4,0\n", "row count does not match"),
            ("1,4,a,b\n1,2,3,0\n", "wrong number of cells"),
            ("1,4,a,b\n1,x,3,4,0\n", "non-numeric cell"),
            ("1,4,a,b\n1,2,3,4,2\n", "class index out of range"),
            ("", "expected a header"),
        ];
        for (csv, expected) in cases {
            let error = parse_iris(csv).unwrap_err().to_string();
            assert!(error.contains(expected), "{csv:?} gave {error}");
        }
    }

    #[test]
    fn generated_sets_are_balanced_and_bounded() {
        for set in [
            DataSet::Circle,
            DataSet::Xor,
            DataSet::Gaussian,
            DataSet::Spiral,
        ] {
            let mut rng = SplitMix64::new(11);
            let split = generate_2d(set, 400, 0.0, &mut rng);
            assert_eq!(split.rows(), 400, "{set:?}");
            let ones = split.labels.iter().filter(|&&l| l == 1).count();
            assert!((100..=300).contains(&ones), "{set:?} has {ones} of class 1");
            assert!(split.features.iter().all(|x| x.abs() < 8.0), "{set:?}");
        }
    }

    #[test]
    fn teacher_labels_every_class() {
        let split = generate_teacher(2000, &mut SplitMix64::new(5));
        assert_eq!(split.features.len(), 2000 * TEACHER_FEATURES);
        for class in 0..TEACHER_CLASSES {
            let count = split.labels.iter().filter(|&&l| l == class).count();
            assert!(count > 50, "class {class} has {count} of 2000 rows");
        }
    }

    #[test]
    fn circle_without_noise_separates_by_radius() {
        let split = generate_2d(DataSet::Circle, 200, 0.0, &mut SplitMix64::new(2));
        for (point, &label) in split.features.chunks(2).zip(&split.labels) {
            let r = (point[0].powi(2) + point[1].powi(2)).sqrt();
            assert_eq!(label == 1, r < 3.0, "r = {r}");
        }
    }
}
