// The L1 and L2 penalty of one dense kernel W and its gradient: grad += l1·sign(w) + 2·l2·w for
// every element, with sign(0) = 0, and totals[0] += rows · (l1·Σ|w| + l2·Σw²), so that the
// epoch total divided by the epoch's rows is the penalty averaged over its batches as the loss
// is. Dispatched after the backward pass, which wrote the data-loss gradient, and before the
// optimizer update, so the penalty is that of the weights the batch's loss saw.
//
// Workgroup size 256, dispatched as [1, 1, 1]: a single workgroup, in which thread t handles the
// elements t, t + 256, t + 512, … and the 256 partial sums are added by a fixed tree, so the
// same weights give the same total on every device and every run. Kernels have at most
// 1024 × 1024 elements (spec::MAX_UNITS), 4096 per thread.

struct PenaltyParams {
    len: u32,
    rows: u32,
    l1: f32,
    l2: f32,
}

@group(0) @binding(0) var<uniform> params: PenaltyParams;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> totals: array<f32>;

const THREADS: u32 = 256u;

var<workgroup> absolute_sums: array<f32, 256>;
var<workgroup> square_sums: array<f32, 256>;

@compute @workgroup_size(256)
fn main(
    @builtin(local_invocation_index) thread: u32,
    @builtin(workgroup_id) group: vec3<u32>,
) {
    // Extra workgroups beyond the first would add the penalty twice.
    if (group.x != 0u || group.y != 0u || group.z != 0u) {
        return;
    }
    let twice_l2 = 2.0 * params.l2;
    var absolute = 0.0;
    var square = 0.0;
    for (var index = thread; index < params.len; index += THREADS) {
        let w = weight[index];
        absolute = absolute + abs(w);
        square = square + w * w;
        grad[index] = (grad[index] + params.l1 * sign(w)) + twice_l2 * w;
    }
    absolute_sums[thread] = absolute;
    square_sums[thread] = square;
    workgroupBarrier();

    for (var stride = THREADS / 2u; stride > 0u; stride = stride / 2u) {
        if (thread < stride) {
            absolute_sums[thread] = absolute_sums[thread] + absolute_sums[thread + stride];
            square_sums[thread] = square_sums[thread] + square_sums[thread + stride];
        }
        workgroupBarrier();
    }

    if (thread == 0u) {
        let penalty = params.l1 * absolute_sums[0] + params.l2 * square_sums[0];
        totals[0] = totals[0] + f32(params.rows) * penalty;
    }
}
