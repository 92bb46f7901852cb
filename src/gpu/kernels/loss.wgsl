// Loss of a batch of output rows against integer labels, its gradient with respect to the
// logits, and per-row statistics for the epoch metrics. Workgroup size 64, one row per thread,
// dispatched as [ceil(rows / 64), 1, 1]: each row is a sequential loop over at most 1024 output
// columns (spec::MAX_UNITS), and batches have at most 4096 rows.
//
// Kinds: 0 softmax cross-entropy, 1 binary cross-entropy with logits, 2 mean squared error
// against the one-hot label, or with targets = 1 against the row's real-valued target. Any other
// kind acts as kind 0. Kinds 0 and 1 read class labels only; the host trains regression with
// kind 2.
//
// row_stats[2r] is the loss of row r, scaled so that the batch loss is the mean over rows.
// row_stats[2r + 1] is 1.0 when the row's prediction equals its label and 0.0 otherwise, or with
// targets = 1 the absolute error of column 0. grad is d(batch loss) / d(logits), the batch loss
// being that mean over rows.
//
// Labels must be below cols, or 0 or 1 for binary cross-entropy, and the host validates them.
// A larger label gets a one-hot target of all zeros. With targets = 1 the labels buffer holds
// the f32 bits of one target per row, which every column is compared with.

struct LossParams {
    rows: u32,
    cols: u32,
    kind: u32,
    // 0: labels holds class indices; 1: labels holds the f32 bits of real-valued targets.
    targets: u32,
}

@group(0) @binding(0) var<uniform> params: LossParams;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> row_stats: array<f32>;

// Logistic sigmoid. Only exp(-|x|) is computed, so no input overflows exp.
fn sigmoid(x: f32) -> f32 {
    let e = exp(-abs(x));
    if (x >= 0.0) {
        return 1.0 / (1.0 + e);
    }
    return e / (1.0 + e);
}

// Index of the largest of the `cols` values starting at logits[base], the first one on ties.
fn argmax(base: u32, cols: u32) -> u32 {
    var best = 0u;
    for (var col = 1u; col < cols; col++) {
        if (logits[base + col] > logits[base + best]) {
            best = col;
        }
    }
    return best;
}

// Row loss logsumexp(x) - x[label], computed as log(Σ exp(x - max)) - (x[label] - max) so that
// no exp overflows and large logits do not cancel. Gradient (softmax(x) - onehot) / rows.
fn softmax_cross_entropy(row: u32, label: u32) -> f32 {
    let cols = params.cols;
    let base = row * cols;
    let best = argmax(base, cols);
    let max_value = logits[base + best];
    var sum = 0.0;
    for (var col = 0u; col < cols; col++) {
        sum = sum + exp(logits[base + col] - max_value);
    }

    // The one-hot target sums to 1 for a valid label and to 0 for an invalid one.
    let target_sum = select(0.0, 1.0, label < cols);
    let rows = f32(params.rows);
    for (var col = 0u; col < cols; col++) {
        let probability = exp(logits[base + col] - max_value) / sum;
        let one_hot = select(0.0, 1.0, col == label);
        grad[base + col] = (target_sum * probability - one_hot) / rows;
    }

    let label_logit = logits[base + min(label, cols - 1u)];
    row_stats[2u * row + 1u] = select(0.0, 1.0, best == label);
    return target_sum * (log(sum) - (label_logit - max_value));
}

// Row loss max(x, 0) - x·y + log(1 + exp(-|x|)) with y = label, which never overflows exp.
// Gradient (sigmoid(x) - y) / rows. The prediction is 1 when x > 0. With more than one column,
// every column is compared with the same y, the row loss is their mean, and the gradient is
// divided by rows·cols.
fn binary_cross_entropy(row: u32, label: u32) -> f32 {
    let cols = params.cols;
    let base = row * cols;
    let y = f32(label);
    let count = f32(params.rows) * f32(cols);
    var sum = 0.0;
    for (var col = 0u; col < cols; col++) {
        let x = logits[base + col];
        sum = sum + (max(x, 0.0) - x * y + log(1.0 + exp(-abs(x))));
        grad[base + col] = (sigmoid(x) - y) / count;
    }

    let predicted = select(0u, 1u, logits[base] > 0.0);
    row_stats[2u * row + 1u] = select(0.0, 1.0, predicted == label);
    return sum / f32(cols);
}

// Target of column `col` for a row with labels entry `label`: the one-hot of the class, or with
// targets = 1 the real value whose bits `label` holds.
fn target_value(label: u32, col: u32) -> f32 {
    if (params.targets == 1u) {
        return bitcast<f32>(label);
    }
    return select(0.0, 1.0, col == label);
}

// Row loss mean over columns of (x - target)². Gradient 2(x - target) / (rows·cols), because
// the batch loss is the mean over all rows·cols elements.
fn mean_squared_error(row: u32, label: u32) -> f32 {
    let cols = params.cols;
    let base = row * cols;
    let count = f32(params.rows) * f32(cols);
    var sum = 0.0;
    for (var col = 0u; col < cols; col++) {
        let difference = logits[base + col] - target_value(label, col);
        sum = sum + difference * difference;
        grad[base + col] = 2.0 * difference / count;
    }

    if (params.targets == 1u) {
        row_stats[2u * row + 1u] = abs(logits[base] - target_value(label, 0u));
    } else {
        row_stats[2u * row + 1u] = select(0.0, 1.0, argmax(base, cols) == label);
    }
    return sum / f32(cols);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let row = id.x;
    if (row >= params.rows || params.cols == 0u) {
        return;
    }
    let label = labels[row];
    var loss: f32;
    switch params.kind {
        case 1u: {
            loss = binary_cross_entropy(row, label);
        }
        case 2u: {
            loss = mean_squared_error(row, label);
        }
        default: {
            loss = softmax_cross_entropy(row, label);
        }
    }
    row_stats[2u * row] = loss;
}
