// Adds a batch's row statistics from the loss kernel to the epoch totals: totals[0] += the sum of
// the row losses, totals[1] += the number of correct rows.
//
// Workgroup size 1, dispatched as [1, 1, 1]: one thread adds the rows from row 0 upward, so the
// same row statistics give the same totals on every device and every run. A batch has at most
// 4096 rows (spec::MAX_BATCH_SIZE), which one thread sums quickly.

struct ReduceParams {
    rows: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: ReduceParams;
// Pairs (loss, correct) per row, as the loss kernel writes them.
@group(0) @binding(1) var<storage, read> row_stats: array<f32>;
@group(0) @binding(2) var<storage, read_write> totals: array<f32>;

@compute @workgroup_size(1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x != 0u) {
        return;
    }
    // The batch sums are formed first and then added to the totals, as the twin does.
    var loss_sum = 0.0;
    var correct_sum = 0.0;
    for (var row = 0u; row < params.rows; row++) {
        loss_sum = loss_sum + row_stats[2u * row];
        correct_sum = correct_sum + row_stats[2u * row + 1u];
    }
    totals[0] = totals[0] + loss_sum;
    totals[1] = totals[1] + correct_sum;
}
