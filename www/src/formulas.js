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

/**
 * Builds the sections of the formulas panel: `[{ title, hint?, lines: [tex or { text }] }]`,
 * where `t` translates the text around the equations. `spec` and `summary` are the accepted
 * network's, as the Worker returns them.
 */
export function formulaSections(spec, summary, t) {
  const B = spec.batch_size;
  const layers = summary.layers;
  const forward = [`x \\in \\mathbb{R}^{${B} \\times ${summary.inputs}}`];
  const backward = [];
  const update = [];
  // TeX of the input to the current layer, and its width.
  let previous = 'x';
  let width = summary.inputs;
  const dense = [];
  layers.forEach((layer, index) => {
    const k = index + 1;
    if (layer.kind === 'dropout') {
      const rate = spec.layers[index]?.rate ?? 0;
      forward.push({ text: t('formulas.dropout', { rate }) });
      forward.push(`h_{${k}} = ${previous} \\odot \\frac{m_{${k}}}{1 - ${number(rate)}}, \\quad m_{${k}} \\sim \\operatorname{Bernoulli}(${number(1 - rate)})`);
      previous = `h_{${k}}`;
      return;
    }
    if (layer.kind !== 'dense') {
      const shape = (layer.shape ?? [layer.units]).join(' \\times ');
      const operator = LAYER_TEX[layer.kind];
      if (operator) {
        const act = ACTIVATION_TEX[layer.activation] ?? '';
        const applied = layer.kind === 'conv2d'
          ? `${act}(${operator}(${previous}; K_{${k}}) + b_{${k}})`
          : `${operator}(${previous})`;
        forward.push(`h_{${k}} = ${applied} \\in \\mathbb{R}^{${B} \\times ${shape}}`);
      } else {
        forward.push({ text: t('formulas.unknownLayer', { layer: k, kind: layer.kind }) });
      }
      previous = `h_{${k}}`;
      width = layer.units;
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
    dense.push({ k, input: previous, width, units, activation: layer.activation, output: layer.output });
    previous = `h_{${k}}`;
    width = units;
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

  for (let i = dense.length - 1; i >= 0; i -= 1) {
    const { k, input, width: inputs, units } = dense[i];
    backward.push(`\\frac{\\partial L}{\\partial W_{${k}}} = ${input}^{\\top} \\delta_{${k}} \\in \\mathbb{R}^{${inputs} \\times ${units}}, \\quad \\frac{\\partial L}{\\partial b_{${k}}} = \\sum_{i=1}^{${B}} \\delta_{${k},i}`);
    // Below a layer other than dense or dropout, the chain is not written out.
    const start = i > 0 ? dense[i - 1].k : 0;
    const other = layers.slice(start, k - 1).findLast((layer) => layer.kind !== 'dropout');
    if (other) {
      backward.push({ text: t('formulas.backwardStops', { layer: k, kind: other.kind }) });
      break;
    }
    if (i > 0) {
      const below = dense[i - 1];
      const derivative = (DERIVATIVE_TEX[below.activation] ?? (() => `\\varphi'(z_{${below.k}})`))(`z_{${below.k}}`);
      // Dropout between the two dense layers multiplies the gradient by its mask too.
      let masks = '';
      for (let index = below.k; index < k - 1; index += 1) {
        if (layers[index].kind !== 'dropout') continue;
        const rate = spec.layers[index]?.rate ?? 0;
        masks += ` \\odot \\frac{m_{${index + 1}}}{1 - ${number(rate)}}`;
      }
      backward.push(`\\delta_{${below.k}} = (\\delta_{${k}} W_{${k}}^{\\top})${masks} \\odot ${derivative} \\in \\mathbb{R}^{${B} \\times ${below.units}}`);
    }
  }

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
