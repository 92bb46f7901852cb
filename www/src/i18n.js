// UI text in English and Simplified Chinese. The field's terms (ReLU, Adam, epoch, batch) stay
// as they are in both languages, as Chinese course material writes them.

import { VIEW_STRINGS } from './i18n-views.js';

export const LANGUAGES = { en: 'English', 'zh-CN': '简体中文' };

const STRINGS = {
  en: {
    title: 'dfdx playground',
    tagline: 'Neural networks built with dfdx and trained in your browser.',
    preset: 'Preset',
    'preset.custom': 'Custom',
    'preset.keras-iris': 'Keras Iris MLP',
    'preset.iris-test-split': 'Iris with a test split',
    'preset.circle': 'Circle (TensorFlow Playground)',
    'preset.spiral': 'Spiral (TensorFlow Playground)',
    'preset.wine': 'Wine MLP',
    'preset.breast-cancer': 'Breast cancer MLP',
    'preset.digits': 'Digits MLP',
    'preset.plane': 'Plane regression (TensorFlow Playground)',
    language: 'Language',
    play: 'Play',
    pause: 'Pause',
    step: 'Step',
    reset: 'Reset',
    'step.title': 'Train one epoch',
    'reset.title': 'Start again from the initial weights',
    epoch: 'Epoch',
    trainLoss: 'Training loss',
    validationLoss: 'Validation loss',
    testLoss: 'Test loss',
    'trainMetric.accuracy': 'Training accuracy',
    'validationMetric.accuracy': 'Validation accuracy',
    'testMetric.accuracy': 'Test accuracy',
    'trainMetric.mae': 'Training MAE',
    'validationMetric.mae': 'Validation MAE',
    'testMetric.mae': 'Test MAE',
    speed: 'Examples/s',
    backend: 'Backend',
    'backend.cpu': 'CPU (wasm)',
    'backend.gpu': 'WebGPU',
    backendSetting: 'Backend',
    'setting.auto': 'Auto',
    'setting.gpu': 'GPU (WebGPU)',
    'setting.cpu': 'CPU (wasm)',
    'reason.chosen.cpu': 'Training runs on the CPU, as chosen.',
    'reason.chosen.gpu': 'Training runs on WebGPU ({adapter}), as chosen.',
    'reason.software': 'This adapter is a software fallback, usually slower than the CPU.',
    'reason.no-adapter': 'This browser offers no WebGPU adapter, so training runs on the CPU.',
    'reason.fallback-adapter':
      'Auto chose the CPU: the only WebGPU adapter ({adapter}) is a software fallback, slower than wasm.',
    'reason.hardware-adapter': 'Auto chose WebGPU: {adapter} is a hardware adapter.',
    'reason.gpu-failed': 'WebGPU failed, so training runs on the CPU: {error}',
    switchedKept: 'WebGPU failed in the middle of training ({error}); training continues on the CPU from the weights and the optimizer\'s state after epoch {epoch}.',
    switchedLost: 'WebGPU failed ({error}) with no finished epoch to continue from; training starts again on the CPU.',
    unknownAdapter: 'unnamed adapter',
    code: 'Code',
    'code.hint': 'The same network, optimizer and training in Keras or PyTorch. Export the model to load its weights.',
    'code.copy': 'Copy',
    'code.copied': 'Copied the code.',
    'code.selected': 'The code is selected; press Ctrl+C to copy it.',
    exportModel: 'Export model',
    'exportModel.title': 'Download the network and its weights as model.safetensors',
    importModel: 'Import model',
    'importModel.title': 'Load a model.safetensors file exported from the playground',
    imported: 'Imported {name}.',
    'error.model_file': 'The model file cannot be imported: {message}. Export it again from the playground.',
    fileTooLarge: '{name} has {size} bytes, more than the {max} bytes a model file may have.',
    specAttributeInvalid: 'The spec attribute is not valid JSON ({message}), so the Keras Iris preset is shown.',
    urlProblem: 'The link\'s parameter {name}={value} is unknown or malformed, so its default is used.',
    data: 'Data',
    dataSet: 'Data set',
    'set.iris': 'Iris (150 × 4, 3 classes)',
    'set.circle': 'Circle',
    'set.xor': 'XOR',
    'set.gaussian': 'Gaussian',
    'set.spiral': 'Spiral',
    'set.teacher': 'Synthetic (784 features, 10 classes)',
    'set.wine': 'Wine (178 × 13, 3 classes)',
    'set.breast_cancer': 'Breast cancer (569 × 30, 2 classes)',
    'set.digits': 'Digits (1,797 × 64 pixels, 10 classes)',
    'set.plane': 'Plane (regression)',
    'set.multi_gaussian': 'Multi-Gaussian (regression)',
    'setInfo.plane':
      'Regression: each point in [-6, 6]² has the target (x + y) / 10, a tilted plane. Noise shifts the point the target is read at. Targets are not standardized.',
    'setInfo.multi_gaussian':
      'Regression: six Gaussian bumps of height +1 or -1; each point\'s target is the bump of largest magnitude there, 0 far from all of them. Noise shifts the point the target is read at. Targets are not standardized.',
    'dataName.plane': 'the plane set',
    'dataName.multi_gaussian': 'the multi-Gaussian set',
    'set.csv': 'Uploaded CSV: {name}',
    'dataName.wine': 'the wine set',
    'dataName.breast_cancer': 'the breast cancer set',
    'dataName.digits': 'the digits set',
    'dataName.csv': 'the uploaded CSV file',
    uploadCsv: 'Upload CSV',
    'uploadCsv.title': 'Train on a CSV file of your own: numeric feature columns and a label column',
    'uploadCsv.hint':
      'A label column of numbers with fractions or more than 20 distinct values is a regression target (unscaled); any other holds classes. Change the task below if needed. The file stays in this browser.',
    labelColumn: 'Label column',
    task: 'Task',
    'task.classification': 'Classification',
    'task.regression': 'Regression',
    csvSummary: '{name}: {rows} rows, {columns} columns, {delimiter}, {header}; label: {label}.',
    csvTarget: 'Target from {min} to {max}.',
    'delimiter.comma': 'comma-separated',
    'delimiter.semicolon': 'semicolon-separated',
    'delimiter.tab': 'tab-separated',
    'header.yes': 'header row',
    'header.no': 'no header row',
    dataShape: '{features} features, {classes} classes: {names}',
    dataShapeRegression: '{features} features, one real-valued target (regression)',
    csvFileTooLarge: '{name} has {size} bytes, more than the {max} bytes a CSV file may have; upload a smaller file.',
    csvLink:
      'The link names an uploaded CSV file ({name}={value}), which a link cannot carry, so Iris is shown; upload the file again with Upload CSV.',
    'field.label_column': 'Label column',
    'csv.column': 'column {column}',
    'csv.columnNamed': 'column {column} ("{name}")',
    'csv.empty': 'empty',
    'csv.missing': 'missing ({value})',
    'error.data_text_missing.csv': 'No CSV file is loaded; upload the file again with Upload CSV.',
    'error.data_text_missing': 'The rows of the {data} data set were not passed to the engine; reload the page.',
    'error.data_fetch': 'Could not load {file} ({message}); reload the page.',
    'error.csv_too_large':
      'The CSV file has {bytes} bytes, more than the limit of {max} bytes ({max_mib} MiB); upload a smaller file.',
    'error.csv_unclosed_quote':
      'Row {row} of the CSV file opens a quoted field that is never closed; add the closing quote (").',
    'error.csv_ragged_row':
      'Row {row} of the CSV file has {cells} cells, but row {first_row} has {expected}; give every row the same number of cells.',
    'error.csv_too_few_columns':
      'The CSV file has {columns} column; it needs at least one feature column and a label column, separated by commas, semicolons or tabs.',
    'error.csv_missing_value':
      'Row {row}, {where} of the CSV file is {shown}; fill in a value or remove the row.',
    'error.csv_not_numeric':
      'Row {row}, {where} of the CSV file is "{value}", which is not a number; features must be numbers, so fix the cell or pick this column as the label.',
    'error.csv_too_few_rows': 'The CSV file has {rows} data rows, fewer than the {min} needed to train; add rows.',
    'error.csv_too_many_rows':
      'The CSV file has {rows} data rows, more than the limit of {max}; upload a sample of the rows.',
    'error.csv_single_class':
      'The label column ({where}) holds only the class "{class}"; pick a label column with at least 2 classes.',
    'error.csv_too_many_classes':
      'The label column ({where}) holds {classes} classes, more than the limit of {max}; pick a label column with fewer classes.',
    'error.csv_target_not_numeric':
      'Row {row}, {where} of the CSV file is "{value}", which is not a number; a regression target must be a number, so fix the cell or train a classification.',
    'error.csv_constant_target':
      'The target column ({where}) holds {value} in every row, so there is nothing to learn; pick a target column whose values vary.',
    'dataName.teacher': 'the synthetic set',
    trainPercent: 'Training share (%)',
    validationPercent: 'Validation share of training rows (%)',
    noise: 'Noise (%)',
    samples: 'Rows',
    standardize: 'Standardize features (z-score, fitted on training rows)',
    dataRows: '{train} training rows, {test} test rows',
    dataRowsValidation: '{train} training rows, {validation} validation rows, {test} test rows',
    network: 'Network',
    inputLayer: 'Input',
    outputLayer: 'Output',
    features: '{count} features',
    imageInput: '{height}×{width}×{channels} image',
    addLayer: 'Add layer',
    'layer.dense': 'Dense',
    'controls.label': 'Training controls',
    'speed.title': '{ms} ms per epoch',
    'layer.dropout': 'Dropout',
    'layer.conv2d': 'Conv2D',
    'layer.max_pool2d': 'MaxPool2D',
    'layer.avg_pool2d': 'AvgPool2D',
    'layer.flatten': 'Flatten',
    'layer.batch_norm': 'BatchNorm',
    'layer.layer_norm': 'LayerNorm',
    layerType: 'Layer type',
    filters: 'Filters',
    kernelSize: 'Kernel size',
    stride: 'Stride',
    padding: 'Padding',
    'padding.valid': 'valid (no padding)',
    'padding.same': 'same (zero padding)',
    poolSize: 'Pool size',
    units: 'Units',
    activation: 'Activation',
    rate: 'Rate',
    moveUp: 'Move up',
    moveDown: 'Move down',
    remove: 'Remove',
    shape: 'Output shape',
    params: 'Param #',
    totalParams: 'Total parameters: {count}',
    outputNote: 'width follows the data; activation follows the loss',
    training: 'Training',
    loss: 'Loss',
    'loss.cross_entropy': 'Cross-entropy (softmax)',
    'loss.binary_cross_entropy': 'Binary cross-entropy',
    'loss.mean_squared_error': 'MSE',
    optimizer: 'Optimizer',
    'optimizer.sgd': 'SGD with momentum',
    'optimizer.adam': 'Adam',
    'optimizer.rmsprop': 'RMSprop',
    learningRate: 'Learning rate',
    momentum: 'Momentum',
    beta1: 'beta1',
    beta2: 'beta2',
    epsilon: 'epsilon',
    rho: 'rho',
    rmspropNote: 'dfdx adds epsilon inside the square root, as Keras 3 does; PyTorch adds it outside.',
    'loss.huber': 'Huber',
    huberDelta: 'Huber delta',
    'optimizer.adamw': 'AdamW',
    weightDecay: 'Weight decay',
    schedule: 'Learning-rate schedule',
    'schedule.constant': 'Constant',
    'schedule.step': 'Step decay',
    'schedule.cosine': 'Cosine decay',
    stepFactor: 'Drop factor',
    stepEpochs: 'Drop every (epochs)',
    cosineAlpha: 'Final fraction (alpha)',
    warmupEpochs: 'Warm-up epochs',
    scheduleCurve:
      'Learning rate per epoch: {first} in epoch 1, at most {top}, {last} in epoch {epochs}; epoch {epoch} uses {rate}.',
    l1: 'L1 penalty on kernels',
    l2: 'L2 penalty on kernels',
    trainPenalty: 'Penalty',
    'series.trainData': 'training data loss',
    'series.testData': 'test data loss',
    'series.validationData': 'validation data loss',
    'series.penalty': 'L1/L2 penalty',
    lossNote:
      'The solid lines are data losses without the penalty. Training minimizes data loss + penalty; the dashed line is the penalty.',
    batchSize: 'Batch size',
    epochs: 'Epochs',
    seed: 'Seed',
    lossChart: 'Loss per epoch',
    'metricChart.accuracy': 'Accuracy per epoch',
    'metricChart.mae': 'Mean absolute error per epoch',
    'series.train': 'training',
    'series.validation': 'validation',
    'series.test': 'test',
    done: 'Finished {epochs} epochs.',
    loading: 'Loading the engine…',
    engineFailed: 'The training engine failed to start: {message}',
    'error.invalid_spec': 'The network spec is invalid: {message}.',
    'error.out_of_range': '{field} is {value}, which is out of range; use a value from {min} to {max}.',
    'error.empty': '{field} is empty; enter a number.',
    'error.not_whole': '{field} is {value}; enter a whole number.',
    'dataName.iris': 'Iris',
    'dataName.circle': 'the circle set',
    'dataName.xor': 'the XOR set',
    'dataName.gaussian': 'the Gaussian set',
    'dataName.spiral': 'the spiral set',
    'value.Infinity': 'infinite',
    'value.-Infinity': 'negative infinite',
    'error.out_of_range_exclusive':
      '{field} is {value}, which is out of range; use a value above {min} and at most {max}.',
    'error.loss_needs_two_classes':
      '{loss} needs 2 classes, but {data} has {classes}; pick cross-entropy or MSE.',
    'error.empty_split':
      'A training share of {train_percent}% of {rows} rows leaves the {split} split empty; pick a share that leaves rows on both sides, or 100% for no test split.',
    'error.empty_validation_split':
      'A validation share of {validation_percent}% of {training_rows} training rows leaves the {split} split empty; pick a share that leaves rows in both, or 0% for no validation split.',
    'error.loss_needs_classes':
      '{loss} needs class labels, but {data} is a regression data set with a real-valued target; pick MSE.',
    'error.too_many_parameters':
      'The network has {count} parameters, more than the limit of {max}; use fewer or narrower layers.',
    'error.layer_needs_image':
      'Layer {layer} ({kind}) needs an image (height x width x channels) but receives {features} flat values; use it on the digits data set, before any Dense or Flatten layer.',
    'error.window_too_large':
      'Layer {layer} ({kind}) has a {size}x{size} kernel, larger than its {height}x{width} input; use a smaller kernel or "same" padding.',
    'error.window_too_large.pool':
      'Layer {layer} ({kind}) has a {size}x{size} window, larger than its {height}x{width} input; use a smaller pool size.',
    'reason.gpu-unsupported': 'Training runs on the CPU: the WebGPU path does not run {layer} layers yet.',
    'field.filters': 'Layer {layer} filters',
    'field.kernel_size': 'Layer {layer} kernel size',
    'field.stride': 'Layer {layer} stride',
    'field.pool_size': 'Layer {layer} pool size',
    'preset.digits-conv': 'Digits conv net',
    'error.too_much_activation_memory':
      'A batch of {batch_size} needs about {mib} MiB of activations, more than the limit of {max_mib} MiB; use a smaller batch or narrower layers.',
    'error.diverged':
      'Training stopped in epoch {epoch} because the loss became {loss}; lower the learning rate (now {learning_rate}) and press Reset.',
    'error.data': 'The data could not be loaded: {message}.',
    'error.engine': 'The tensor engine failed: {message}.',
    'error.gpu': 'WebGPU failed: {message}.',
    'field.units': 'Layer {layer} units',
    layerCount: 'Number of hidden layers',
    'field.rate': 'Layer {layer} dropout rate',
    'split.training': 'training',
    'split.validation': 'validation',
    'split.test': 'test',
  },
  'zh-CN': {
    title: 'dfdx 神经网络游乐场',
    tagline: '用 dfdx 搭建神经网络，直接在浏览器里训练。',
    preset: '预设',
    'preset.custom': '自定义',
    'preset.keras-iris': 'Keras 鸢尾花 MLP',
    'preset.iris-test-split': '鸢尾花（划分测试集）',
    'preset.circle': '圆形（TensorFlow Playground）',
    'preset.spiral': '螺旋（TensorFlow Playground）',
    'preset.wine': '葡萄酒 MLP',
    'preset.breast-cancer': '乳腺癌 MLP',
    'preset.digits': '手写数字 MLP',
    'preset.plane': '平面回归（TensorFlow Playground）',
    language: '语言',
    play: '开始',
    pause: '暂停',
    step: '单步',
    reset: '重置',
    'step.title': '训练一个 epoch',
    'reset.title': '从初始权重重新开始',
    epoch: 'Epoch',
    trainLoss: '训练损失',
    validationLoss: '验证损失',
    testLoss: '测试损失',
    'trainMetric.accuracy': '训练准确率',
    'validationMetric.accuracy': '验证准确率',
    'testMetric.accuracy': '测试准确率',
    'trainMetric.mae': '训练 MAE',
    'validationMetric.mae': '验证 MAE',
    'testMetric.mae': '测试 MAE',
    speed: '样本/秒',
    backend: '后端',
    'backend.cpu': 'CPU（wasm）',
    'backend.gpu': 'WebGPU',
    backendSetting: '计算后端',
    'setting.auto': '自动',
    'setting.gpu': 'GPU（WebGPU）',
    'setting.cpu': 'CPU（wasm）',
    'reason.chosen.cpu': '按设置在 CPU 上训练。',
    'reason.chosen.gpu': '按设置在 WebGPU（{adapter}）上训练。',
    'reason.software': '这是软件模拟的适配器，通常比 CPU 还慢。',
    'reason.no-adapter': '此浏览器没有可用的 WebGPU 适配器，因此在 CPU 上训练。',
    'reason.fallback-adapter': '自动选择了 CPU：唯一的 WebGPU 适配器（{adapter}）是软件模拟的，比 wasm 慢。',
    'reason.hardware-adapter': '自动选择了 WebGPU：{adapter} 是硬件适配器。',
    'reason.gpu-failed': 'WebGPU 出错，因此在 CPU 上训练：{error}',
    switchedKept: 'WebGPU 在训练中途出错（{error}）；训练已切换到 CPU，从第 {epoch} 个 epoch 之后的权重和优化器状态继续。',
    switchedLost: 'WebGPU 出错（{error}），没有可以接续的已完成 epoch；训练在 CPU 上重新开始。',
    unknownAdapter: '未命名的适配器',
    code: '代码',
    'code.hint': '用 Keras 或 PyTorch 写出同样的网络、优化器和训练过程。导出模型即可载入其权重。',
    'code.copy': '复制',
    'code.copied': '代码已复制。',
    'code.selected': '代码已选中，按 Ctrl+C 复制。',
    exportModel: '导出模型',
    'exportModel.title': '将网络及其权重下载为 model.safetensors',
    importModel: '导入模型',
    'importModel.title': '载入从本游乐场导出的 model.safetensors 文件',
    imported: '已导入 {name}。',
    'error.model_file': '无法导入模型文件：{message}。请从游乐场重新导出。',
    fileTooLarge: '{name} 有 {size} 字节，超过模型文件上限 {max} 字节。',
    specAttributeInvalid: 'spec 属性不是有效的 JSON（{message}），因此显示 Keras 鸢尾花预设。',
    urlProblem: '链接中的参数 {name}={value} 无法识别或格式有误，已改用默认值。',
    data: '数据',
    dataSet: '数据集',
    'set.iris': '鸢尾花 Iris（150 × 4，3 类）',
    'set.circle': '圆形',
    'set.xor': '异或 XOR',
    'set.gaussian': '高斯',
    'set.spiral': '螺旋',
    'set.teacher': '合成数据（784 个特征，10 类）',
    'set.wine': '葡萄酒 Wine（178 × 13，3 类）',
    'set.breast_cancer': '乳腺癌 Breast cancer（569 × 30，2 类）',
    'set.digits': '手写数字 Digits（1,797 × 64 像素，10 类）',
    'set.plane': '平面（回归）',
    'set.multi_gaussian': '多高斯（回归）',
    'setInfo.plane':
      '回归：[-6, 6]² 中每个点的目标值为 (x + y) / 10，即一个倾斜的平面。噪声会移动读取目标值的位置。目标值不做标准化。',
    'setInfo.multi_gaussian':
      '回归：六个高度为 +1 或 -1 的高斯凸包；每个点的目标值取该处绝对值最大的凸包，远离所有凸包处为 0。噪声会移动读取目标值的位置。目标值不做标准化。',
    'dataName.plane': '平面数据',
    'dataName.multi_gaussian': '多高斯数据',
    'set.csv': '上传的 CSV：{name}',
    'dataName.wine': '葡萄酒数据',
    'dataName.breast_cancer': '乳腺癌数据',
    'dataName.digits': '手写数字数据',
    'dataName.csv': '上传的 CSV 文件',
    uploadCsv: '上传 CSV',
    'uploadCsv.title': '用你自己的 CSV 文件训练：若干数值特征列和一个标签列',
    'uploadCsv.hint': '标签列若全是数字，且含小数或有超过 20 个不同的值，就按回归目标处理（不做缩放）；否则按类别处理。如有需要，可在下方更改任务。文件只留在本浏览器中。',
    labelColumn: '标签列',
    task: '任务',
    'task.classification': '分类',
    'task.regression': '回归',
    csvSummary: '{name}：{rows} 行，{columns} 列，{delimiter}，{header}；标签：{label}。',
    csvTarget: '目标值范围 {min} 到 {max}。',
    'delimiter.comma': '逗号分隔',
    'delimiter.semicolon': '分号分隔',
    'delimiter.tab': '制表符分隔',
    'header.yes': '有表头行',
    'header.no': '无表头行',
    dataShape: '{features} 个特征，{classes} 个类别：{names}',
    dataShapeRegression: '{features} 个特征，一个实数目标值（回归）',
    csvFileTooLarge: '{name} 有 {size} 字节，超过 CSV 文件上限 {max} 字节；请上传更小的文件。',
    csvLink: '链接指向上传的 CSV 文件（{name}={value}），而链接无法携带文件，因此显示鸢尾花数据；请用“上传 CSV”重新上传文件。',
    'field.label_column': '标签列',
    'csv.column': '第 {column} 列',
    'csv.columnNamed': '第 {column} 列（“{name}”）',
    'csv.empty': '空的',
    'csv.missing': '缺失值（{value}）',
    'error.data_text_missing.csv': '没有已载入的 CSV 文件；请用“上传 CSV”重新上传文件。',
    'error.data_text_missing': '{data}的数据行没有传给训练引擎；请刷新页面。',
    'error.data_fetch': '无法载入 {file}（{message}）；请刷新页面。',
    'error.csv_too_large': 'CSV 文件有 {bytes} 字节，超过上限 {max} 字节（{max_mib} MiB）；请上传更小的文件。',
    'error.csv_unclosed_quote': 'CSV 文件第 {row} 行有一个引号字段没有闭合；请补上结尾的引号（"）。',
    'error.csv_ragged_row':
      'CSV 文件第 {row} 行有 {cells} 个单元格，但第 {first_row} 行有 {expected} 个；请让每行的单元格数相同。',
    'error.csv_too_few_columns':
      'CSV 文件只有 {columns} 列；至少需要一个特征列和一个标签列，用逗号、分号或制表符分隔。',
    'error.csv_missing_value': 'CSV 文件第 {row} 行、{where}是{shown}；请填入数值或删除该行。',
    'error.csv_not_numeric':
      'CSV 文件第 {row} 行、{where}的值为“{value}”，不是数字；特征必须是数字，请修改该单元格，或把这一列选为标签列。',
    'error.csv_too_few_rows': 'CSV 文件只有 {rows} 行数据，少于训练所需的 {min} 行；请添加数据行。',
    'error.csv_too_many_rows': 'CSV 文件有 {rows} 行数据，超过上限 {max} 行；请上传部分数据行。',
    'error.csv_single_class': '标签列（{where}）只有一个类别“{class}”；请选择至少有 2 个类别的标签列。',
    'error.csv_too_many_classes': '标签列（{where}）有 {classes} 个类别，超过上限 {max}；请选择类别更少的标签列。',
    'error.csv_target_not_numeric':
      'CSV 文件第 {row} 行、{where}的值为“{value}”，不是数字；回归目标必须是数字，请修改该单元格，或改为训练分类。',
    'error.csv_constant_target':
      '目标列（{where}）每一行都是 {value}，没有可学习的内容；请选择取值有变化的目标列。',
    'dataName.teacher': '合成数据',
    trainPercent: '训练集比例（%）',
    validationPercent: '验证集占训练行的比例（%）',
    noise: '噪声（%）',
    samples: '行数',
    standardize: '标准化特征（z-score，只用训练集拟合）',
    dataRows: '训练集 {train} 行，测试集 {test} 行',
    dataRowsValidation: '训练集 {train} 行，验证集 {validation} 行，测试集 {test} 行',
    network: '网络',
    inputLayer: '输入层',
    outputLayer: '输出层',
    features: '{count} 个特征',
    imageInput: '{height}×{width}×{channels} 图像',
    addLayer: '添加层',
    'controls.label': '训练控制',
    'speed.title': '每个 epoch {ms} 毫秒',
    'layer.dense': 'Dense',
    'layer.dropout': 'Dropout',
    'layer.conv2d': 'Conv2D 卷积',
    'layer.max_pool2d': 'MaxPool2D 最大池化',
    'layer.avg_pool2d': 'AvgPool2D 平均池化',
    'layer.flatten': 'Flatten 展平',
    'layer.batch_norm': 'BatchNorm 批归一化',
    'layer.layer_norm': 'LayerNorm 层归一化',
    layerType: '层类型',
    filters: '卷积核数',
    kernelSize: '卷积核大小',
    stride: '步幅',
    padding: '填充',
    'padding.valid': 'valid（不填充）',
    'padding.same': 'same（补零）',
    poolSize: '池化窗口',
    units: '神经元数',
    activation: '激活函数',
    rate: '比率',
    moveUp: '上移',
    moveDown: '下移',
    remove: '删除',
    shape: '输出形状',
    params: '参数',
    totalParams: '参数总数：{count}',
    outputNote: '宽度由数据决定，激活函数由损失函数决定',
    training: '训练',
    loss: '损失函数',
    'loss.cross_entropy': '交叉熵（softmax）',
    'loss.binary_cross_entropy': '二元交叉熵（sigmoid）',
    'loss.mean_squared_error': '均方误差 MSE',
    optimizer: '优化器',
    'optimizer.sgd': 'SGD（带动量）',
    'optimizer.adam': 'Adam',
    'optimizer.rmsprop': 'RMSprop',
    learningRate: '学习率',
    momentum: '动量',
    beta1: 'beta1',
    beta2: 'beta2',
    epsilon: 'epsilon',
    rho: 'rho',
    rmspropNote: 'dfdx 把 epsilon 放在平方根内，与 Keras 3 相同；PyTorch 放在平方根外。',
    'loss.huber': 'Huber 损失',
    huberDelta: 'Huber delta',
    'optimizer.adamw': 'AdamW',
    weightDecay: '权重衰减',
    schedule: '学习率调度',
    'schedule.constant': '恒定',
    'schedule.step': '阶梯衰减',
    'schedule.cosine': '余弦衰减',
    stepFactor: '衰减因子',
    stepEpochs: '每隔多少个 epoch 衰减',
    cosineAlpha: '最终比例（alpha）',
    warmupEpochs: '预热 epoch 数',
    scheduleCurve:
      '每个 epoch 的学习率：第 1 个 epoch 为 {first}，最高 {top}，第 {epochs} 个 epoch 为 {last}；第 {epoch} 个 epoch 使用 {rate}。',
    l1: '权重矩阵的 L1 惩罚',
    l2: '权重矩阵的 L2 惩罚',
    trainPenalty: '惩罚项',
    'series.trainData': '训练数据损失',
    'series.testData': '测试数据损失',
    'series.validationData': '验证数据损失',
    'series.penalty': 'L1/L2 惩罚项',
    lossNote: '实线是不含惩罚项的数据损失。训练最小化的是数据损失加惩罚项；虚线是惩罚项。',
    batchSize: 'Batch 大小',
    epochs: 'Epoch 数',
    seed: '随机种子',
    lossChart: '每个 epoch 的损失',
    'metricChart.accuracy': '每个 epoch 的准确率',
    'metricChart.mae': '每个 epoch 的平均绝对误差（MAE）',
    'series.train': '训练',
    'series.validation': '验证',
    'series.test': '测试',
    done: '已完成 {epochs} 个 epoch。',
    loading: '正在加载训练引擎…',
    engineFailed: '训练引擎启动失败：{message}',
    'error.invalid_spec': '网络配置无效：{message}。',
    'error.out_of_range': '{field}为 {value}，超出范围；请使用 {min} 到 {max} 之间的值。',
    'error.empty': '{field}为空；请输入一个数。',
    'error.not_whole': '{field}为 {value}；请输入整数。',
    'dataName.iris': '鸢尾花数据',
    'dataName.circle': '圆形数据',
    'dataName.xor': 'XOR 数据',
    'dataName.gaussian': '高斯数据',
    'dataName.spiral': '螺旋数据',
    'value.Infinity': '无穷大',
    'value.-Infinity': '负无穷大',
    'error.out_of_range_exclusive': '{field}为 {value}，超出范围；请使用大于 {min} 且不超过 {max} 的值。',
    'error.loss_needs_two_classes':
      '{loss}需要 2 个类别，但{data}有 {classes} 个类别；请选择交叉熵或 MSE。',
    'error.empty_split':
      '{rows} 行数据按 {train_percent}% 划分训练集后，{split}集为空；请选择两边都有数据的比例，或选 100% 表示不划分测试集。',
    'error.empty_validation_split':
      '从 {training_rows} 行训练数据中按 {validation_percent}% 划出验证集后，{split}集为空；请选择两边都有数据的比例，或选 0% 表示不划分验证集。',
    'error.loss_needs_classes':
      '{loss}需要类别标签，但{data}是目标为实数的回归数据集；请选择 MSE。',
    'error.too_many_parameters':
      '网络有 {count} 个参数，超过上限 {max}；请减少层数或神经元数。',
    'error.layer_needs_image':
      '第 {layer} 层（{kind}）需要图像输入（高 × 宽 × 通道），却收到 {features} 个扁平数值；请在手写数字数据集上使用它，并放在所有 Dense 或 Flatten 层之前。',
    'error.window_too_large':
      '第 {layer} 层（{kind}）的卷积核为 {size}×{size}，大于它的 {height}×{width} 输入；请使用更小的卷积核，或选择 same 填充。',
    'error.window_too_large.pool':
      '第 {layer} 层（{kind}）的池化窗口为 {size}×{size}，大于它的 {height}×{width} 输入；请使用更小的池化窗口。',
    'reason.gpu-unsupported': '在 CPU 上训练：WebGPU 路径尚不支持 {layer} 层。',
    'field.filters': '第 {layer} 层的卷积核数',
    'field.kernel_size': '第 {layer} 层的卷积核大小',
    'field.stride': '第 {layer} 层的步幅',
    'field.pool_size': '第 {layer} 层的池化窗口',
    'preset.digits-conv': '手写数字卷积网络',
    'error.too_much_activation_memory':
      'Batch 大小为 {batch_size} 时激活值约需 {mib} MiB，超过上限 {max_mib} MiB；请减小 batch 或神经元数。',
    'error.diverged':
      '训练在第 {epoch} 个 epoch 停止，因为损失变成了 {loss}；请降低学习率（当前为 {learning_rate}）后按“重置”。',
    'error.data': '数据加载失败：{message}。',
    'error.engine': '张量引擎出错：{message}。',
    'error.gpu': 'WebGPU 出错：{message}。',
    'field.units': '第 {layer} 层的神经元数',
    layerCount: '隐藏层数',
    'field.rate': '第 {layer} 层的 dropout 比率',
    'split.training': '训练',
    'split.validation': '验证',
    'split.test': '测试',
  },
};

for (const lang of Object.keys(VIEW_STRINGS)) Object.assign(STRINGS[lang], VIEW_STRINGS[lang]);

/** Picks the UI language from the browser's preferences: Chinese for any `zh` tag. */
export function detectLanguage(languages = navigator.languages ?? [navigator.language]) {
  return languages.some((tag) => tag?.toLowerCase().startsWith('zh')) ? 'zh-CN' : 'en';
}

/** Returns the text for `key` in `lang` with `{name}` placeholders filled from `values`. */
export function translate(lang, key, values = {}) {
  const template = STRINGS[lang]?.[key] ?? STRINGS.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (match, name) =>
    name in values ? String(values[name]) : match,
  );
}

/** UI labels of the spec fields that error messages name. */
const FIELD_KEYS = {
  batch_size: 'batchSize',
  epochs: 'epochs',
  seed: 'seed',
  'data.train_percent': 'trainPercent',
  'data.validation_percent': 'validationPercent',
  'data.noise': 'noise',
  'data.samples': 'samples',
  'optimizer.learning_rate': 'learningRate',
  'optimizer.momentum': 'momentum',
  'optimizer.beta1': 'beta1',
  'optimizer.beta2': 'beta2',
  'optimizer.epsilon': 'epsilon',
  'optimizer.rho': 'rho',
  'optimizer.weight_decay': 'weightDecay',
  huber_delta: 'huberDelta',
  'kernel_regularizer.l1': 'l1',
  'kernel_regularizer.l2': 'l2',
  'schedule.warmup_epochs': 'warmupEpochs',
  'schedule.decay.factor': 'stepFactor',
  'schedule.decay.step_epochs': 'stepEpochs',
  'schedule.decay.alpha': 'cosineAlpha',
  'layers (count)': 'layerCount',
  'data.csv.label_column': 'field.label_column',
};

/** Names a spec field for people: `layers[0].units` becomes "layer 1 units". */
export function describeField(lang, field) {
  const layer = /^layers\[(\d+)\]\.(units|rate|filters|kernel_size|stride|pool_size)$/.exec(field);
  if (layer) return translate(lang, `field.${layer[2]}`, { layer: Number(layer[1]) + 1 });
  return FIELD_KEYS[field] ? translate(lang, FIELD_KEYS[field]) : field;
}

/**
 * Builds the message for an error thrown by the engine in the UI's language. The engine's
 * errors carry `details` with a `code` and the values; the English message is the engine's own.
 */
export function formatError(lang, error) {
  const details = error?.details;
  if (!details?.code) return String(error?.message ?? error);
  const values = { ...details };
  if (details.field) values.field = describeField(lang, details.field);
  if (details.split) values.split = translate(lang, `split.${details.split}`);
  // The engine names the loss and data set in English; the page uses its own labels for them.
  if (details.code === 'loss_needs_two_classes') {
    values.loss = translate(lang, 'loss.binary_cross_entropy');
    values.data = translate(lang, `dataName.${details.data}`);
  }
  if (details.code === 'loss_needs_classes') {
    const loss = details.loss === 'binary cross-entropy' ? 'binary_cross_entropy' : 'cross_entropy';
    values.loss = translate(lang, `loss.${loss}`);
    values.data = translate(lang, `dataName.${details.data}`);
  }
  for (const name of ['count', 'max', 'rows', 'bytes']) {
    if (typeof details[name] === 'number') values[name] = details[name].toLocaleString(lang);
  }
  // CSV errors name the column as a spreadsheet numbers it, with the header's name if any.
  if (details.code.startsWith('csv_') && 'column' in details) {
    values.where = details.name == null
      ? translate(lang, 'csv.column', { column: details.column })
      : translate(lang, 'csv.columnNamed', { column: details.column, name: details.name });
  }
  if (details.code === 'csv_missing_value') {
    values.shown = details.value === ''
      ? translate(lang, 'csv.empty')
      : translate(lang, 'csv.missing', { value: details.value });
  }
  if (details.code === 'csv_too_large') values.max_mib = Math.floor(details.max / 2 ** 20);
  if (details.loss === Infinity || details.loss === -Infinity) {
    values.loss = translate(lang, `value.${details.loss}`);
  }
  if (details.code === 'too_much_activation_memory') {
    values.mib = Math.ceil(details.bytes / 2 ** 20);
    values.max_mib = Math.floor(details.max / 2 ** 20);
  }
  if (details.code === 'data_text_missing') {
    values.data = translate(lang, `dataName.${details.data}`);
    if (details.data === 'csv') return translate(lang, 'error.data_text_missing.csv');
  }
  // Layer errors count layers from 1, as the editor does, and name the layer type apart.
  if (details.code === 'layer_needs_image' || details.code === 'window_too_large') {
    values.layer = details.index + 1;
    values.kind = details.layer;
  }
  if (details.code === 'window_too_large' && details.layer !== 'Conv2D') {
    return translate(lang, 'error.window_too_large.pool', values);
  }
  const key = details.min_exclusive ? 'out_of_range_exclusive' : details.code;
  return translate(lang, `error.${key}`, values);
}
