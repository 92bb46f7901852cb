//! Convolution and pooling on runtime shapes, as dfdx operations with their own backward pass.
//! dfdx 0.13's conv and pooling need its `nightly` feature, which no longer builds on current
//! rustc. A batch of images is a (rows, height * width * channels) matrix in height, width,
//! channel order (Keras's channels_last), so the layers around these operations see ordinary
//! matrices.

use crate::error::Result;
use crate::network::Matrix;
use crate::spec::{PoolKind, Window};
use dfdx::prelude::*;

/// For each input value position, the unfolded entries that copy it: entry
/// (row * positions + position, kernel offset) of the unfolded matrix reads image value
/// `source`, or a padding zero when `source` is None.
fn unfold_sources(window: &Window) -> Vec<Option<usize>> {
    let Window {
        input_height,
        input_width,
        channels,
        size,
        stride,
        pad_top,
        pad_left,
        output_height,
        output_width,
    } = *window;
    let mut sources = Vec::with_capacity(output_height * output_width * size * size * channels);
    for out_y in 0..output_height {
        for out_x in 0..output_width {
            for ky in 0..size {
                for kx in 0..size {
                    let y = (out_y * stride + ky).checked_sub(pad_top);
                    let x = (out_x * stride + kx).checked_sub(pad_left);
                    for channel in 0..channels {
                        let source = match (y, x) {
                            (Some(y), Some(x)) if y < input_height && x < input_width => {
                                Some((y * input_width + x) * channels + channel)
                            }
                            _ => None,
                        };
                        sources.push(source);
                    }
                }
            }
        }
    }
    sources
}

/// Unfolds each image into one row per output position, containing the kernel-sized patch
/// there (im2col): (rows, h * w * c) becomes (rows * positions, size * size * c). The patch is
/// in kernel-height, kernel-width, channel order, which matches a Keras kernel of shape
/// (size, size, c, filters) read as a (size * size * c, filters) matrix.
pub fn unfold<T: Tape<f32, Cpu>>(images: Matrix<T>, window: &Window) -> Result<Matrix<T>> {
    // A contiguous input's gradient buffer has the row-major order of `as_vec`; making it
    // contiguous copies only when it is not already.
    let (input, mut tape) = images.try_contiguous()?.split_tape();
    let rows = input.shape().0;
    let image_len = input.shape().1;
    let sources = unfold_sources(window);
    let patch = window.size * window.size * window.channels;
    let values = input.as_vec();

    let mut unfolded = Vec::with_capacity(rows * sources.len());
    for row in 0..rows {
        let image = &values[row * image_len..(row + 1) * image_len];
        unfolded.extend(
            sources
                .iter()
                .map(|source| source.map_or(0.0, |i| image[i])),
        );
    }
    let shape = (rows * window.output_positions(), patch);
    let output = input.device().try_tensor_from_vec(unfolded, shape)?;

    let traced = output.clone();
    tape.add_backward_op(move |grads| {
        grads.try_alloc_for(&input)?;
        grads.try_alloc_for(&output)?;
        let output_grad = grads.get(&output).as_vec();
        let input_grad = grads.get_or_alloc_mut(&input)?;
        // Folding back (col2im): every unfolded copy adds its gradient to the value it read.
        for row in 0..rows {
            let image_grad = &mut input_grad[row * image_len..(row + 1) * image_len];
            let row_grad = &output_grad[row * sources.len()..(row + 1) * sources.len()];
            for (source, grad) in sources.iter().zip(row_grad) {
                if let Some(i) = source {
                    image_grad[*i] += grad;
                }
            }
        }
        Ok(())
    });
    Ok(traced.put_tape(tape))
}

/// Pools each channel over square windows without padding: (rows, h * w * c) becomes
/// (rows, out_h * out_w * c). Max pooling passes the gradient to the first largest value of
/// each window, average pooling spreads it evenly.
pub fn pool<T: Tape<f32, Cpu>>(
    images: Matrix<T>,
    window: &Window,
    kind: PoolKind,
) -> Result<Matrix<T>> {
    let (input, mut tape) = images.try_contiguous()?.split_tape();
    let rows = input.shape().0;
    let image_len = input.shape().1;
    let channels = window.channels;
    let out_len = window.output_positions() * channels;
    let values = input.as_vec();

    // For max pooling, the input index each output value came from.
    let mut chosen = Vec::new();
    let mut pooled = Vec::with_capacity(rows * out_len);
    let area = (window.size * window.size) as f32;
    for row in 0..rows {
        let image = &values[row * image_len..(row + 1) * image_len];
        for out_y in 0..window.output_height {
            for out_x in 0..window.output_width {
                for channel in 0..channels {
                    let mut best: Option<(f32, usize)> = None;
                    let mut sum = 0.0;
                    for index in window_indices(window, out_y, out_x, channel) {
                        let value = image[index];
                        sum += value;
                        // `>` keeps the first of equal largest values.
                        if best.is_none_or(|(largest, _)| value > largest) {
                            best = Some((value, index));
                        }
                    }
                    match kind {
                        PoolKind::Max => {
                            let (largest, index) =
                                best.expect("a window contains at least 1 value");
                            pooled.push(largest);
                            chosen.push(index);
                        }
                        PoolKind::Average => pooled.push(sum / area),
                    }
                }
            }
        }
    }
    let output = input
        .device()
        .try_tensor_from_vec(pooled, (rows, out_len))?;

    let traced = output.clone();
    let window = *window;
    tape.add_backward_op(move |grads| {
        grads.try_alloc_for(&input)?;
        grads.try_alloc_for(&output)?;
        let output_grad = grads.get(&output).as_vec();
        let input_grad = grads.get_or_alloc_mut(&input)?;
        for row in 0..rows {
            let image_grad = &mut input_grad[row * image_len..(row + 1) * image_len];
            let mut out = row * out_len;
            for out_y in 0..window.output_height {
                for out_x in 0..window.output_width {
                    for channel in 0..channels {
                        let grad = output_grad[out];
                        match kind {
                            PoolKind::Max => image_grad[chosen[out]] += grad,
                            PoolKind::Average => {
                                for index in window_indices(&window, out_y, out_x, channel) {
                                    image_grad[index] += grad / area;
                                }
                            }
                        }
                        out += 1;
                    }
                }
            }
        }
        Ok(())
    });
    Ok(traced.put_tape(tape))
}

/// Indices, within one image, of the window at output position (out_y, out_x) for `channel`.
/// Pooling has no padding, so every index lies inside the image.
fn window_indices(
    window: &Window,
    out_y: usize,
    out_x: usize,
    channel: usize,
) -> impl Iterator<Item = usize> + '_ {
    (0..window.size).flat_map(move |ky| {
        (0..window.size).map(move |kx| {
            let y = out_y * window.stride + ky;
            let x = out_x * window.stride + kx;
            (y * window.input_width + x) * window.channels + channel
        })
    })
}
