// The forward and backward equations of the current network with its sizes, as TeX for KaTeX.
// Layers are numbered as in the network panel, from 1; the output layer is the last.
import katex from '../vendor/katex.mjs';

const ACTIVATION_TEX = {
  relu: '\\operatorname{ReLU}',
  sigmoid: '\\sigma',
  tanh: '\\tanh',
  leaky_relu: '\\operatorname{LeakyReLU}_{0.01}',
  gelu: '\\operatorname{GELU}',
  linear: '',
};

/** Derivative of each hidden activation, applied element by element to z. */
const DERIVATIVE_TEX = {
  relu: (z) => `\\mathbf{1}[${z} > 0]`,
  sigmoid: (z) => `\\sigma(${z})\\,(1 - \\sigma(${z}))`,
  tanh: (z) => `(1 - \\tanh^2 ${z})`,
  leaky_relu: (z) => `(\\mathbf{1}[${z} > 0] + 0.01\\,\\mathbf{1}[${z} \\le 0])`,
  gelu: (z) => `(\\Phi(${z}) + ${z}\\,\\varphi(${z}))`,
  linear: () => '1',
};

/** Operator names of the layers whose equations are written as one function of their input. */
const LAYER_TEX = {
  conv2d: '\\operatorname{Conv2D}',
  max_pool2d: '\\operatorname{MaxPool}',
  avg_pool2d: '\\operatorname{AvgPool}',
  flatten: '\\operatorname{Flatten}',
  batch_norm: '\\operatorname{BatchNorm}',
  layer_norm: '\\operatorname{LayerNorm}',
};

function number(value) {
  return Number(value.toPrecision(4)).toString().replace('e', '\\text{e}');
}

/** TeX of a shape without the batch, as `8 \times 8 \times 16`. */
function dims(shape) {
  return shape.join(' \\times ');
}

/** Square window of a Conv2D or pooling layer, with the spec's defaults filled in. */
function windowOf(layer, specLayer) {
  if (layer.kind === 'conv2d') {
    return {
      size: specLayer.kernel_size,
      stride: specLayer.stride ?? 1,
      padding: specLayer.padding ?? 'valid',
    };
  }
  return { size: specLayer.pool_size, stride: specLayer.stride ?? specLayer.pool_size, padding: 'valid' };
}

/**
 * Writes a Conv2D layer as one matrix product on the unfolded input, as src/image_ops.rs computes
 * it: U = im2col(input) has one row per image and output position.
 */
function convForward(k, layer, specLayer, input, inputShape, B, t) {
  const { size, stride, padding } = windowOf(layer, specLayer);
  const [outHeight, outWidth, filters] = layer.shape;
  const channels = inputShape[inputShape.length - 1];
  const patch = `(${size} \\cdot ${size} \\cdot ${channels})`;
  const act = ACTIVATION_TEX[layer.activation] ?? `\\operatorname{${layer.activation}}`;
  const applied = act ? `${act}(z_{${k}})` : `z_{${k}}`;
  return [
    { text: t('formulas.conv', { layer: k, size, stride, padding }) },
    `h_{${k}} = ${applied} \\in \\mathbb{R}^{${B} \\times ${dims(layer.shape)}}, \\quad z_{${k}} = U_{${k}} K_{${k}} + b_{${k}}`,
    `U_{${k}} = \\operatorname{im2col}(${input}) \\in \\mathbb{R}^{(${B} \\cdot ${outHeight * outWidth}) \\times ${patch}}, \\quad K_{${k}} \\in \\mathbb{R}^{${patch} \\times ${filters}}, \\quad b_{${k}} \\in \\mathbb{R}^{${filters}}`,
  ];
}

/** Whether a layer's δ is taken before an activation, so the layer above multiplies by φ'. */
function hasActivation(layer) {
  return layer.kind === 'dense' || layer.kind === 'conv2d';
}

/**
 * Writes a normalization layer's backward pass: the γ and β gradients and the input gradient
 * in the standard form (1 / (m s)) (m g − Σg − x̂ Σ(g ⊙ x̂)) with g = δ ⊙ γ and s = √(σ² + ε).
 * The sums run over the m values that share one mean and variance. Returns the lines and the
 * input gradient.
 */
function normBackward(step, B, t) {
  const { k, layer, input, inputShape } = step;
  const image = inputShape.length === 3;
  const channels = inputShape[inputShape.length - 1];
  const positions = image ? inputShape[0] * inputShape[1] : 1;
  const rows = image ? 'i,y,x' : 'i';
  const lines = [];
  let count;
  let inner;
  if (layer.kind === 'batch_norm') {
    count = B * positions;
    inner = rows;
    const values = image ? `${B} × ${inputShape[0]} × ${inputShape[1]} = ${count}` : `${count}`;
    lines.push({ text: t('formulas.batchNorm', { layer: k, channels, values }) });
  } else {
    count = channels;
    inner = 'c';
    lines.push({ text: t('formulas.layerNorm', { layer: k, channels }) });
  }
  lines.push(`\\hat{x}_{${k}} = \\frac{${input} - \\mu_{${k}}}{s_{${k}}}, \\quad s_{${k}} = \\sqrt{\\sigma_{${k}}^2 + 0.001}, \\quad g_{${k}} = \\delta_{${k}} \\odot \\gamma_{${k}}`);
  lines.push(`\\frac{\\partial L}{\\partial \\gamma_{${k}}} = \\sum_{${rows}} \\delta_{${k}} \\odot \\hat{x}_{${k}}, \\quad \\frac{\\partial L}{\\partial \\beta_{${k}}} = \\sum_{${rows}} \\delta_{${k}} \\in \\mathbb{R}^{${channels}}`);
  const down = `\\frac{1}{${count}\\, s_{${k}}} \\left(${count}\\, g_{${k}} - \\sum_{${inner}} g_{${k}} - \\hat{x}_{${k}} \\sum_{${inner}} (g_{${k}} \\odot \\hat{x}_{${k}})\\right)`;
  return { lines, down };
}

/**
 * Writes the backward pass from the output layer down to the first layer. δ_k is the gradient
 * with respect to z_k for Dense and Conv2D layers and with respect to h_k for the others.
 * Dropout layers multiply the gradient passing through them by their masks.
 */
function backwardLines(steps, B, t) {
  const lines = [];
  for (let i = steps.length - 1; i >= 0; i -= 1) {
    const step = steps[i];
    const { k, layer, input, inputShape, width } = step;
    if (layer.kind === 'dropout') continue;
    // TeX of the gradient with respect to this layer's input, and the lines that explain it.
    let down;
    let needsBrackets = false;
    const followingLines = [];
    switch (layer.kind) {
      case 'dense':
        lines.push(`\\frac{\\partial L}{\\partial W_{${k}}} = ${input}^{\\top} \\delta_{${k}} \\in \\mathbb{R}^{${width} \\times ${layer.units}}, \\quad \\frac{\\partial L}{\\partial b_{${k}}} = \\sum_{i=1}^{${B}} \\delta_{${k},i}`);
        down = `\\delta_{${k}} W_{${k}}^{\\top}`;
        needsBrackets = true;
        break;
      case 'conv2d': {
        const { size } = windowOf(layer, step.spec);
        const [outHeight, outWidth, filters] = layer.shape;
        const channels = inputShape[inputShape.length - 1];
        lines.push({ text: t('formulas.convBackward', { layer: k }) });
        lines.push(`\\frac{\\partial L}{\\partial K_{${k}}} = U_{${k}}^{\\top} \\delta_{${k}} \\in \\mathbb{R}^{(${size} \\cdot ${size} \\cdot ${channels}) \\times ${filters}}, \\quad \\delta_{${k}} \\in \\mathbb{R}^{(${B} \\cdot ${outHeight * outWidth}) \\times ${filters}}`);
        lines.push(`\\frac{\\partial L}{\\partial b_{${k}}} = \\sum_{i=1}^{${B}} \\sum_{p=1}^{${outHeight * outWidth}} \\delta_{${k},ip} \\in \\mathbb{R}^{${filters}}`);
        down = `\\operatorname{col2im}(\\delta_{${k}} K_{${k}}^{\\top})`;
        followingLines.push({ text: t('formulas.col2im') });
        break;
      }
      case 'max_pool2d': {
        const { size, stride } = windowOf(layer, step.spec);
        down = `\\operatorname{unpool}_{\\max}(\\delta_{${k}})`;
        followingLines.push(`\\operatorname{unpool}_{\\max}(\\delta_{${k}})_{i,y,x,c} = \\sum_{p,q} \\delta_{${k},ipqc} \\, \\mathbf{1}[(y, x) = a_{pq}]`);
        followingLines.push({ text: t('formulas.maxPool', { layer: k, size, stride }) });
        break;
      }
      case 'avg_pool2d': {
        const { size, stride } = windowOf(layer, step.spec);
        down = `\\operatorname{unpool}_{\\text{avg}}(\\delta_{${k}})`;
        followingLines.push(`\\operatorname{unpool}_{\\text{avg}}(\\delta_{${k}})_{i,y,x,c} = \\frac{1}{${size} \\cdot ${size}} \\sum_{p,q:\\, (y, x) \\in w_{pq}} \\delta_{${k},ipqc}`);
        followingLines.push({ text: t('formulas.avgPool', { layer: k, size, stride }) });
        break;
      }
      case 'flatten':
        down = `\\operatorname{reshape}(\\delta_{${k}})`;
        followingLines.push({ text: t('formulas.flatten', { layer: k }) });
        break;
      case 'batch_norm':
      case 'layer_norm': {
        const norm = normBackward(step, B, t);
        lines.push(...norm.lines);
        down = norm.down;
        break;
      }
      default:
        lines.push({ text: t('formulas.unknownLayer', { layer: k, kind: layer.kind }) });
        return lines;
    }

    // The nearest layer below that is not dropout receives the gradient. The input x needs none.
    let j = i - 1;
    let masks = '';
    while (j >= 0 && steps[j].layer.kind === 'dropout') {
      const rate = steps[j].spec.rate ?? 0;
      masks = ` \\odot \\frac{m_{${steps[j].k}}}{1 - ${number(rate)}}${masks}`;
      j -= 1;
    }
    if (j < 0) continue;
    const below = steps[j];
    let derivative = '';
    if (hasActivation(below.layer)) {
      const z = `z_{${below.k}}`;
      derivative = ` \\odot ${(DERIVATIVE_TEX[below.layer.activation] ?? (() => `\\varphi'(${z})`))(z)}`;
    }
    const factor = needsBrackets && (masks || derivative) ? `(${down})` : down;
    lines.push(`\\delta_{${below.k}} = ${factor}${masks}${derivative} \\in \\mathbb{R}^{${B} \\times ${dims(below.layer.shape ?? [below.layer.units])}}`);
    lines.push(...followingLines);
  }
  return lines;
}

/**
 * Builds the sections of the formulas panel: `[{ title, hint?, lines: [tex or { text }] }]`,
 * where `t` translates the text around the equations. `spec` and `summary` are the accepted
 * network's, as the Worker returns them.
 */
export function formulaSections(spec, summary, t) {
  const B = spec.batch_size;
  const layers = summary.layers;
  const forward = [`x \\in \\mathbb{R}^{${B} \\times ${summary.inputs}}`];
  const update = [];
  // TeX of the input to the current layer, its width and its shape without the batch.
  let previous = 'x';
  let width = summary.inputs;
  let shape = summary.input_shape ?? [summary.inputs];
  const dense = [];
  // Every layer with its input, in order, for the backward pass.
  const steps = [];
  layers.forEach((layer, index) => {
    const k = index + 1;
    const specLayer = spec.layers[index] ?? {};
    steps.push({ k, layer, spec: specLayer, input: previous, inputShape: shape, width });
    if (layer.kind === 'dropout') {
      const rate = specLayer.rate ?? 0;
      forward.push({ text: t('formulas.dropout', { rate }) });
      forward.push(`h_{${k}} = ${previous} \\odot \\frac{m_{${k}}}{1 - ${number(rate)}}, \\quad m_{${k}} \\sim \\operatorname{Bernoulli}(${number(1 - rate)})`);
      previous = `h_{${k}}`;
      return;
    }
    if (layer.kind === 'conv2d') {
      forward.push(...convForward(k, layer, specLayer, previous, shape, B, t));
    } else if (layer.kind !== 'dense') {
      const operator = LAYER_TEX[layer.kind];
      if (operator) {
        forward.push(`h_{${k}} = ${operator}(${previous}) \\in \\mathbb{R}^{${B} \\times ${dims(layer.shape)}}`);
      } else {
        forward.push({ text: t('formulas.unknownLayer', { layer: k, kind: layer.kind }) });
      }
    }
    if (layer.kind !== 'dense') {
      previous = `h_{${k}}`;
      width = layer.units;
      shape = layer.shape ?? [layer.units];
      return;
    }
    const units = layer.units;
    const sizes = `W_{${k}} \\in \\mathbb{R}^{${width} \\times ${units}},\\ b_{${k}} \\in \\mathbb{R}^{${units}}`;
    const z = `${previous} W_{${k}} + b_{${k}}`;
    if (layer.output) {
      forward.push(`z_{${k}} = ${z}, \\quad ${sizes}`);
    } else {
      const act = ACTIVATION_TEX[layer.activation] ?? `\\operatorname{${layer.activation}}`;
      const applied = act ? `${act}(z_{${k}})` : `z_{${k}}`;
      forward.push(`h_{${k}} = ${applied}, \\quad z_{${k}} = ${z}, \\quad ${sizes}`);
    }
    dense.push({ k, units });
    previous = `h_{${k}}`;
    width = units;
    shape = [units];
  });

  const out = dense[dense.length - 1];
  const classes = out ? out.units : 0;
  const z = out ? `z_{${out.k}}` : 'z';
  const loss = [];
  const regression = summary.data?.task === 'regression';
  switch (regression && spec.loss === 'mean_squared_error' ? 'regression' : spec.loss) {
    case 'regression':
      // One linear output compared with the real-valued target y.
      forward.push(`\\hat{y} = ${z} \\in \\mathbb{R}^{${B} \\times 1}`);
      loss.push(`L = \\frac{1}{${B}} \\sum_{i=1}^{${B}} (\\hat{y}_i - y_i)^2`);
      loss.push(`\\delta_{${out?.k}} = \\frac{\\partial L}{\\partial ${z}} = \\frac{2}{${B}} (\\hat{y} - y)`);
      break;
    case 'cross_entropy':
      forward.push(`\\hat{y} = \\operatorname{softmax}(${z}) \\in \\mathbb{R}^{${B} \\times ${classes}}`);
      loss.push(`L = -\\frac{1}{${B}} \\sum_{i=1}^{${B}} \\log \\hat{y}_{i, y_i}`);
      loss.push(`\\delta_{${out?.k}} = \\frac{\\partial L}{\\partial ${z}} = \\frac{1}{${B}} (\\hat{y} - Y), \\quad Y = \\operatorname{onehot}(y) \\in \\{0,1\\}^{${B} \\times ${classes}}`);
      break;
    case 'binary_cross_entropy':
      forward.push(`\\hat{y} = \\sigma(${z}) \\in \\mathbb{R}^{${B} \\times 1}`);
      loss.push(`L = -\\frac{1}{${B}} \\sum_{i=1}^{${B}} \\left[ y_i \\log \\hat{y}_i + (1 - y_i) \\log (1 - \\hat{y}_i) \\right]`);
      loss.push(`\\delta_{${out?.k}} = \\frac{\\partial L}{\\partial ${z}} = \\frac{1}{${B}} (\\hat{y} - y)`);
      break;
    case 'mean_squared_error':
      forward.push(`\\hat{y} = ${z} \\in \\mathbb{R}^{${B} \\times ${classes}}`);
      loss.push(`L = \\frac{1}{${B} \\cdot ${classes}} \\sum_{i,j} (\\hat{y}_{ij} - Y_{ij})^2`);
      loss.push(`\\delta_{${out?.k}} = \\frac{\\partial L}{\\partial ${z}} = \\frac{2}{${B} \\cdot ${classes}} (\\hat{y} - Y)`);
      break;
    case 'huber': {
      // Keras's Huber loss with threshold delta, averaged over every output, against the one-hot
      // labels or, for regression, the real-valued target.
      const width = regression ? 1 : classes;
      const target = regression ? 'y' : 'Y';
      const delta = spec.huber_delta ?? 1;
      forward.push(`\\hat{y} = ${z} \\in \\mathbb{R}^{${B} \\times ${width}}`);
      loss.push(`L = \\frac{1}{${B} \\cdot ${width}} \\sum_{i,j} h(\\hat{y}_{ij} - ${target}_{ij}), \\quad h(d) = \\begin{cases} \\tfrac{1}{2} d^2 & |d| < ${delta} \\\\ ${delta} \\, (|d| - \\tfrac{1}{2} \\cdot ${delta}) & \\text{otherwise} \\end{cases}`);
      loss.push(`\\delta_{${out?.k}} = \\frac{\\partial L}{\\partial ${z}} = \\frac{1}{${B} \\cdot ${width}} \\operatorname{clip}(\\hat{y} - ${target}, -${delta}, ${delta})`);
      break;
    }
    default:
      loss.push({ text: spec.loss });
  }
  const regularizer = spec.kernel_regularizer;
  if (regularizer && (regularizer.l1 > 0 || regularizer.l2 > 0)) {
    // The objective adds the kernel penalty; its gradient joins each kernel's data gradient.
    loss.push(`L_{\\text{total}} = L + ${regularizer.l1} \\sum_k \\lVert W_k \\rVert_1 + ${regularizer.l2} \\sum_k \\lVert W_k \\rVert_2^2`);
    loss.push(`\\frac{\\partial L_{\\text{total}}}{\\partial W_k} = \\frac{\\partial L}{\\partial W_k} + ${regularizer.l1} \\operatorname{sign}(W_k) + ${Number((2 * regularizer.l2).toPrecision(12))} \\, W_k`);
  }

  const backward = backwardLines(steps, B, t);

  const o = spec.optimizer;
  const g = 'g = \\frac{\\partial L}{\\partial \\theta}';
  // A schedule changes the rate every epoch, so the update names it eta_e instead of a number.
  const scheduled = (spec.schedule?.decay?.type ?? 'constant') !== 'constant'
    || (spec.schedule?.warmup_epochs ?? 0) > 0;
  const lr = scheduled ? '\\eta_e' : number(o.learning_rate);
  if (scheduled) update.push({ text: t('formulas.scheduledRate', { rate: number(o.learning_rate) }) });
  switch (o.type) {
    case 'sgd':
      update.push(o.momentum
        ? `${g}, \\quad v \\leftarrow ${number(o.momentum)}\\, v + g, \\quad \\theta \\leftarrow \\theta - ${lr}\\, v`
        : `${g}, \\quad \\theta \\leftarrow \\theta - ${lr}\\, g`);
      break;
    case 'adam':
      update.push(`m \\leftarrow ${number(o.beta1)}\\, m + ${number(1 - o.beta1)}\\, g, \\quad v \\leftarrow ${number(o.beta2)}\\, v + ${number(1 - o.beta2)}\\, g^2`);
      update.push(`\\theta \\leftarrow \\theta - ${lr} \\frac{m / (1 - ${number(o.beta1)}^t)}{\\sqrt{v / (1 - ${number(o.beta2)}^t)} + ${number(o.epsilon)}}`);
      break;
    case 'rmsprop':
      update.push(`s \\leftarrow ${number(o.rho)}\\, s + ${number(1 - o.rho)}\\, g^2`);
      update.push(o.momentum
        ? `v \\leftarrow ${number(o.momentum)}\\, v + \\frac{g}{\\sqrt{s + ${number(o.epsilon)}}}, \\quad \\theta \\leftarrow \\theta - ${lr}\\, v`
        : `\\theta \\leftarrow \\theta - ${lr} \\frac{g}{\\sqrt{s + ${number(o.epsilon)}}}`);
      break;
    case 'adamw':
      update.push(`m \\leftarrow ${number(o.beta1)}\\, m + ${number(1 - o.beta1)}\\, g, \\quad v \\leftarrow ${number(o.beta2)}\\, v + ${number(1 - o.beta2)}\\, g^2`);
      // Decoupled weight decay (Loshchilov and Hutter), scaled by the rate as dfdx, Keras and
      // PyTorch do.
      update.push(`\\theta \\leftarrow \\theta - ${lr} \\left(\\frac{m / (1 - ${number(o.beta1)}^t)}{\\sqrt{v / (1 - ${number(o.beta2)}^t)} + ${number(o.epsilon)}} + ${number(o.weight_decay)}\\, \\theta\\right)`);
      break;
    default:
      update.push({ text: o.type });
  }

  return [
    { title: t('formulas.forward'), lines: forward },
    { title: t('formulas.loss'), lines: loss },
    { title: t('formulas.backward'), hint: t('formulas.backward.hint'), lines: backward },
    { title: t('formulas.update'), lines: update },
  ];
}

/** Typesets the sections into `container`; a TeX error is shown in place of its line. */
export function renderFormulas(container, spec, summary, t) {
  container.replaceChildren();
  const intro = document.createElement('p');
  intro.className = 'hint';
  intro.textContent = t('formulas.intro', { batch: spec.batch_size });
  container.append(intro);
  for (const section of formulaSections(spec, summary, t)) {
    const heading = document.createElement('h3');
    heading.textContent = section.title;
    container.append(heading);
    if (section.hint) {
      const hint = document.createElement('p');
      hint.className = 'hint';
      hint.textContent = section.hint;
      container.append(hint);
    }
    for (const line of section.lines) {
      const element = document.createElement(typeof line === 'string' ? 'div' : 'p');
      if (typeof line === 'string') {
        element.className = 'formula';
        try {
          katex.render(line, element, { displayMode: true, throwOnError: true, output: 'htmlAndMathml' });
        } catch (error) {
          element.textContent = t('formulas.failed', { message: error.message });
        }
      } else {
        element.className = 'hint';
        element.textContent = line.text;
      }
      container.append(element);
    }
  }
}
