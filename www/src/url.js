// The page's configuration in the URL fragment, so a link reproduces a run: the same spec and
// seed give the same losses. The fragment is readable, like TensorFlow Playground's:
//   #data=iris&train=80&val=10&layers=dense:64:relu,dropout:0.2&loss=cross_entropy&optimizer=adam&lr=0.001&batch=32&epochs=100&seed=0
// `val` (the validation share of the training rows) is written only when it is above 0, so
// links made before it existed read as before.
// Parsing never throws: an unknown or malformed parameter is reported and its default kept.

const DATA_SETS = [
  'iris', 'wine', 'breast_cancer', 'digits', 'circle', 'xor', 'gaussian', 'spiral', 'teacher',
  'plane', 'multi_gaussian',
];
const ACTIVATIONS = ['relu', 'sigmoid', 'tanh', 'leaky_relu', 'gelu', 'linear'];
const LOSSES = ['cross_entropy', 'binary_cross_entropy', 'mean_squared_error'];
const OPTIMIZERS = ['sgd', 'adam', 'rmsprop'];
export const BACKEND_SETTINGS = ['auto', 'gpu', 'cpu'];

/** Optimizer constants each optimizer carries in the URL, besides the learning rate. */
const OPTIMIZER_FIELDS = {
  sgd: ['momentum'],
  adam: ['beta1', 'beta2', 'epsilon'],
  rmsprop: ['rho', 'epsilon', 'momentum'],
};

/** Writes a spec and a backend setting as a URL fragment, without the leading '#'. */
export function specToFragment(spec, backend = 'auto') {
  const params = new URLSearchParams();
  params.set('data', spec.data.set);
  params.set('train', String(spec.data.train_percent));
  if (spec.data.validation_percent > 0) params.set('val', String(spec.data.validation_percent));
  params.set('rows', String(spec.data.samples));
  params.set('noise', String(spec.data.noise));
  params.set('std', spec.data.standardize ? '1' : '0');
  params.set('layers', spec.layers.map(layerToText).join(','));
  params.set('loss', spec.loss);
  params.set('optimizer', spec.optimizer.type);
  params.set('lr', String(spec.optimizer.learning_rate));
  for (const field of OPTIMIZER_FIELDS[spec.optimizer.type]) {
    params.set(field, String(spec.optimizer[field]));
  }
  params.set('batch', String(spec.batch_size));
  params.set('epochs', String(spec.epochs));
  params.set('seed', String(spec.seed));
  params.set('backend', backend);
  // ':' and ',' may stand unescaped in a fragment, which keeps the layer list readable.
  return [...params]
    .map(([name, value]) => `${name}=${encodeURIComponent(value).replace(/%3A/g, ':').replace(/%2C/g, ',')}`)
    .join('&');
}

function layerToText(layer) {
  switch (layer.type) {
    case 'dense':
      return `dense:${layer.units}:${layer.activation}`;
    case 'dropout':
      return `dropout:${layer.rate}`;
    case 'conv2d':
      return `conv2d:${layer.filters}:${layer.kernel_size}:${layer.stride}:${layer.padding}:${layer.activation}`;
    case 'max_pool2d':
    case 'avg_pool2d':
      return layer.stride == null
        ? `${layer.type}:${layer.pool_size}`
        : `${layer.type}:${layer.pool_size}:${layer.stride}`;
    default:
      return layer.type;
  }
}

/**
 * Reads a fragment over a base spec. Returns `{ spec, backend, problems }`, where each problem
 * is `{ name, value }` for a parameter that was unknown or malformed and so left at the base.
 * `data=csv` gets the problem `{ name, value, reason: 'csv' }`: a link cannot carry the
 * uploaded file, so the base's data set stays. Numbers are only checked for being numbers;
 * the engine checks their ranges.
 */
export function fragmentToSpec(fragment, base, baseBackend = 'auto') {
  const spec = structuredClone(base);
  // A link without `val` has no validation split, whatever the base has. The engine leaves the
  // field out of a spec when it is 0, so the page does too.
  delete spec.data.validation_percent;
  let backend = baseBackend;
  const problems = [];
  const params = new URLSearchParams(fragment.replace(/^#/, ''));
  const number = (name, value, apply) => {
    const parsed = Number(value);
    if (value.trim() === '' || !Number.isFinite(parsed)) problems.push({ name, value });
    else apply(parsed);
  };
  const choice = (name, value, allowed, apply) => {
    if (allowed.includes(value)) apply(value);
    else problems.push({ name, value });
  };

  // The optimizer type decides which constants apply, so it is read first.
  const optimizer = params.get('optimizer');
  if (optimizer !== null) {
    choice('optimizer', optimizer, OPTIMIZERS, (type) => {
      if (type !== spec.optimizer.type) {
        spec.optimizer = { type, learning_rate: spec.optimizer.learning_rate, ...DEFAULTS[type] };
      }
    });
  }

  for (const [name, value] of params) {
    switch (name) {
      case 'optimizer':
        break;
      case 'data':
        if (value === 'csv') problems.push({ name, value, reason: 'csv' });
        else choice(name, value, DATA_SETS, (set) => { spec.data.set = set; });
        break;
      case 'train':
        number(name, value, (v) => { spec.data.train_percent = v; });
        break;
      case 'val':
        number(name, value, (v) => { spec.data.validation_percent = v; });
        break;
      case 'rows':
        number(name, value, (v) => { spec.data.samples = v; });
        break;
      case 'noise':
        number(name, value, (v) => { spec.data.noise = v; });
        break;
      case 'std':
        choice(name, value, ['0', '1'], (v) => { spec.data.standardize = v === '1'; });
        break;
      case 'layers': {
        const layers = parseLayers(value);
        if (layers) spec.layers = layers;
        else problems.push({ name, value });
        break;
      }
      case 'loss':
        choice(name, value, LOSSES, (loss) => { spec.loss = loss; });
        break;
      case 'lr':
        number(name, value, (v) => { spec.optimizer.learning_rate = v; });
        break;
      case 'momentum':
      case 'beta1':
      case 'beta2':
      case 'epsilon':
      case 'rho':
        if (OPTIMIZER_FIELDS[spec.optimizer.type].includes(name)) {
          number(name, value, (v) => { spec.optimizer[name] = v; });
        } else {
          problems.push({ name, value });
        }
        break;
      case 'batch':
        number(name, value, (v) => { spec.batch_size = v; });
        break;
      case 'epochs':
        number(name, value, (v) => { spec.epochs = v; });
        break;
      case 'seed':
        number(name, value, (v) => { spec.seed = v; });
        break;
      case 'backend':
        choice(name, value, BACKEND_SETTINGS, (v) => { backend = v; });
        break;
      default:
        problems.push({ name, value });
    }
  }
  return { spec, backend, problems };
}

/** Keras's defaults for each optimizer's constants. */
export const DEFAULTS = {
  sgd: { momentum: 0.9 },
  adam: { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
  rmsprop: { rho: 0.9, epsilon: 1e-7, momentum: 0 },
};

/**
 * Parses a layer list such as `conv2d:16:3:1:same:relu,max_pool2d:2,flatten,dense:64:relu,
 * dropout:0.2`; returns null if any part is malformed. An empty value is no hidden layers.
 */
function parseLayers(text) {
  if (text === '') return [];
  const layers = [];
  for (const part of text.split(',')) {
    const layer = parseLayer(...part.split(':'));
    if (!layer) return null;
    layers.push(layer);
  }
  return layers;
}

/** Parses one layer from its type and fields, or returns null. The engine checks the ranges. */
function parseLayer(kind, ...fields) {
  const numbers = (values) => {
    const parsed = values.map(Number);
    return values.every((value, i) => value !== '' && Number.isFinite(parsed[i])) ? parsed : null;
  };
  switch (kind) {
    case 'dense': {
      const [units] = numbers(fields.slice(0, 1)) ?? [];
      const valid = fields.length === 2 && units != null && ACTIVATIONS.includes(fields[1]);
      return valid ? { type: kind, units, activation: fields[1] } : null;
    }
    case 'dropout': {
      const [rate] = numbers(fields) ?? [];
      return fields.length === 1 && rate != null ? { type: kind, rate } : null;
    }
    case 'conv2d': {
      const sizes = numbers(fields.slice(0, 3));
      const [padding, activation] = fields.slice(3);
      const valid = fields.length === 5 && sizes && ['valid', 'same'].includes(padding)
        && ACTIVATIONS.includes(activation);
      if (!valid) return null;
      const [filters, kernelSize, stride] = sizes;
      return { type: kind, filters, kernel_size: kernelSize, stride, padding, activation };
    }
    case 'max_pool2d':
    case 'avg_pool2d': {
      const sizes = numbers(fields);
      if (!sizes || sizes.length < 1 || sizes.length > 2) return null;
      return sizes.length === 1
        ? { type: kind, pool_size: sizes[0] }
        : { type: kind, pool_size: sizes[0], stride: sizes[1] };
    }
    case 'flatten':
    case 'batch_norm':
    case 'layer_norm':
      return fields.length === 0 ? { type: kind } : null;
    default:
      return null;
  }
}
