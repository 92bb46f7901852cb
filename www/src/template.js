// The playground's markup, shared by the full page, the iframe page and the web component.
// Text comes from i18n.js through the data-i18n attributes; each data-panel can be hidden.
export const TEMPLATE = `
<header class="topbar" data-panel="header">
  <div class="brand">
    <h1 data-i18n="title">dfdx playground</h1>
    <p data-i18n="tagline"></p>
  </div>
  <label class="inline">
    <span data-i18n="preset"></span>
    <select id="preset" data-testid="preset"></select>
  </label>
  <label class="inline">
    <span data-i18n="language"></span>
    <select id="language" data-testid="language"></select>
  </label>
</header>

<section class="controls" data-panel="controls" data-i18n-aria-label="controls.label">
  <button id="play" data-testid="play" class="primary" data-i18n="play" disabled></button>
  <button id="pause" data-testid="pause" data-i18n="pause" disabled></button>
  <button id="step" data-testid="step" data-i18n="step" data-i18n-title="step.title" disabled></button>
  <button id="reset" data-testid="reset" data-i18n="reset" data-i18n-title="reset.title" disabled></button>
  <dl class="readouts">
    <div><dt data-i18n="epoch"></dt><dd><span id="epoch" data-testid="epoch">0</span> / <span id="epochs" data-testid="epochs-total">0</span></dd></div>
    <div><dt data-i18n="trainLoss"></dt><dd id="train-loss" data-testid="train-loss">–</dd></div>
    <div class="validation-only"><dt data-i18n="validationLoss"></dt><dd id="validation-loss" data-testid="validation-loss">–</dd></div>
    <div><dt data-i18n="testLoss"></dt><dd id="test-loss" data-testid="test-loss">–</dd></div>
    <div id="penalty-readout" hidden><dt data-i18n="trainPenalty"></dt><dd id="train-penalty" data-testid="train-penalty">–</dd></div>
    <div><dt id="train-metric-label" data-testid="train-metric-label"></dt><dd id="train-metric" data-testid="train-metric">–</dd></div>
    <div class="validation-only"><dt id="validation-metric-label" data-testid="validation-metric-label"></dt><dd id="validation-metric" data-testid="validation-metric">–</dd></div>
    <div><dt id="test-metric-label" data-testid="test-metric-label"></dt><dd id="test-metric" data-testid="test-metric">–</dd></div>
    <div><dt data-i18n="speed"></dt><dd id="speed" data-testid="speed">–</dd></div>
    <div><dt data-i18n="backend"></dt><dd id="backend" data-testid="backend"></dd></div>
  </dl>
</section>

<p id="error" data-testid="error" class="error" role="alert" hidden></p>
<p id="notice" data-testid="notice" class="notice" role="status" hidden></p>
<p id="status" data-testid="status" class="status" aria-live="polite"></p>

<main class="panels" data-panel-container>
  <section class="panel" data-panel="data" aria-labelledby="data-heading">
    <h2 id="data-heading" data-i18n="data"></h2>
    <label><span data-i18n="dataSet"></span>
      <select id="data-set" data-testid="data-set"></select></label>
    <p id="data-description" data-testid="data-description" class="hint"></p>
    <div class="upload">
      <label class="file-button" data-i18n-title="uploadCsv.title">
        <span data-i18n="uploadCsv"></span>
        <input id="upload-csv" data-testid="upload-csv" type="file" accept=".csv,.tsv,.txt,text/csv,text/tab-separated-values">
      </label>
      <p class="hint" data-i18n="uploadCsv.hint"></p>
    </div>
    <label class="csv-only" hidden><span data-i18n="labelColumn"></span>
      <select id="label-column" data-testid="label-column"></select></label>
    <label class="csv-only" hidden><span data-i18n="task"></span>
      <select id="task" data-testid="task"></select></label>
    <p id="csv-summary" data-testid="csv-summary" class="hint csv-only" hidden></p>
    <label><span data-i18n="trainPercent"></span>
      <input id="train-percent" data-testid="train-percent" type="number" min="10" max="100" step="5"></label>
    <label><span data-i18n="validationPercent"></span>
      <input id="validation-percent" data-testid="validation-percent" type="number" min="0" max="50" step="5"></label>
    <label class="generated"><span data-i18n="noise"></span>
      <input id="noise" data-testid="noise" type="number" min="0" max="50" step="5"></label>
    <label class="generated"><span data-i18n="samples"></span>
      <input id="samples" data-testid="samples" type="number" min="20" max="10000" step="10"></label>
    <label class="check"><input id="standardize" data-testid="standardize" type="checkbox">
      <span data-i18n="standardize"></span></label>
    <p id="data-rows" class="hint"></p>
    <p id="data-shape" data-testid="data-shape" class="hint"></p>
  </section>

  <section class="panel network" data-panel="network" aria-labelledby="network-heading">
    <h2 id="network-heading" data-i18n="network"></h2>
    <ol id="layers" class="layers" data-testid="layers"></ol>
    <button id="add-layer" data-testid="add-layer" data-i18n="addLayer"></button>
    <p id="total-params" data-testid="total-params" class="hint"></p>
    <div class="model-file">
      <button id="export-model" data-testid="export-model" data-i18n="exportModel" data-i18n-title="exportModel.title"></button>
      <label class="file-button" data-i18n-title="importModel.title">
        <span data-i18n="importModel"></span>
        <input id="import-model" data-testid="import-model" type="file" accept=".safetensors">
      </label>
    </div>
  </section>

  <section class="panel" data-panel="training" aria-labelledby="training-heading">
    <h2 id="training-heading" data-i18n="training"></h2>
    <label><span data-i18n="loss"></span>
      <select id="loss" data-testid="loss"></select></label>
    <label id="huber-delta-row" hidden><span data-i18n="huberDelta"></span>
      <input id="huber-delta" data-testid="huber-delta" type="number" min="0" max="1000" step="any"></label>
    <label><span data-i18n="optimizer"></span>
      <select id="optimizer" data-testid="optimizer"></select></label>
    <div id="optimizer-params"></div>
    <div class="schedule">
      <label><span data-i18n="schedule"></span>
        <select id="schedule" data-testid="schedule"></select></label>
      <div id="schedule-params"></div>
      <label><span data-i18n="warmupEpochs"></span>
        <input id="warmup" data-testid="warmup" type="number" min="0" max="10000" step="1"></label>
      <canvas id="schedule-chart" data-testid="schedule-chart" role="img"></canvas>
    </div>
    <label><span data-i18n="l1"></span>
      <input id="l1" data-testid="l1" type="number" min="0" max="1" step="any"></label>
    <label><span data-i18n="l2"></span>
      <input id="l2" data-testid="l2" type="number" min="0" max="1" step="any"></label>
    <label><span data-i18n="batchSize"></span>
      <input id="batch-size" data-testid="batch-size" type="number" min="1" max="4096" step="1"></label>
    <label><span data-i18n="epochs"></span>
      <input id="epochs-input" data-testid="epochs" type="number" min="1" max="10000" step="1"></label>
    <label><span data-i18n="seed"></span>
      <input id="seed" data-testid="seed" type="number" min="0" step="1"></label>
    <label><span data-i18n="backendSetting"></span>
      <select id="backend-setting" data-testid="backend-setting"></select></label>
    <p id="backend-reason" data-testid="backend-reason" class="hint"></p>
  </section>

  <section class="panel charts" data-panel="charts">
    <figure>
      <figcaption id="loss-caption" data-i18n="lossChart"></figcaption>
      <div id="loss-chart" data-testid="loss-chart" tabindex="0" role="img"></div>
      <p id="loss-note" data-testid="loss-note" class="hint" data-i18n="lossNote" hidden></p>
    </figure>
    <figure>
      <figcaption id="metric-chart-caption" data-testid="metric-chart-caption"></figcaption>
      <div id="accuracy-chart" data-testid="accuracy-chart" tabindex="0" role="img"></div>
    </figure>
    <div class="metrics-table">
      <button id="metrics-toggle" data-testid="metrics-toggle" type="button" aria-controls="metrics-table" aria-expanded="false"></button>
      <div id="metrics-table" data-testid="metrics-table" class="table-scroll" hidden></div>
    </div>
  </section>

  <section id="views" class="panel views" data-panel="views" data-testid="views" aria-labelledby="views-heading">
    <h2 id="views-heading" data-i18n="views"></h2>
    <p id="views-status" class="hint" aria-live="polite"></p>
    <p id="views-error" data-testid="views-error" class="error" role="alert" hidden></p>
    <div id="boundary-view" class="boundary-view" data-testid="boundary-view" hidden>
      <h3 data-i18n="boundary.title"></h3>
      <p id="boundary-hint" class="hint"></p>
      <div id="network-graph" class="network-graph" data-testid="network-graph">
        <svg id="links" class="links" aria-hidden="true"></svg>
        <figure id="boundary-figure" class="column output">
          <span class="column-title" data-i18n="boundary.output"></span>
          <canvas id="boundary" data-testid="boundary" width="300" height="300" tabindex="0" role="img"></canvas>
          <figcaption id="boundary-output" class="hint"></figcaption>
          <p class="hint" data-i18n="boundary.points"></p>
          <label class="check"><input id="boundary-show-test" data-testid="boundary-show-test" type="checkbox" checked>
            <span data-i18n="boundary.showTest"></span></label>
        </figure>
      </div>
      <button id="weights-toggle" data-testid="weights-toggle" type="button" aria-controls="weights-table" aria-expanded="false"></button>
      <div id="weights-table" data-testid="weights-table" class="table-scroll" hidden></div>
    </div>
    <div class="views-row">
      <figure class="confusion-view" data-testid="confusion-view">
        <h3 data-i18n="confusion.title"></h3>
        <p id="confusion-caption" class="hint"></p>
        <div class="table-scroll"><table id="confusion" data-testid="confusion" class="confusion" aria-labelledby="confusion-caption"></table></div>
        <div id="cell-rows" data-testid="cell-rows" class="table-scroll cell-rows" aria-live="polite"></div>
      </figure>
      <figure class="diagnostics-view" data-testid="diagnostics-view">
        <h3 data-i18n="diagnostics.title"></h3>
        <p id="diagnostics-caption" class="hint"></p>
        <div class="table-scroll"><table id="diagnostics" data-testid="diagnostics" class="numbers" aria-labelledby="diagnostics-caption"></table></div>
      </figure>
    </div>
  </section>

  <section class="panel formulas" data-panel="formulas" aria-labelledby="formulas-heading">
    <h2 id="formulas-heading" data-i18n="formulas"></h2>
    <div id="formulas" data-testid="formulas" class="formulas"></div>
  </section>
<section class="panel code" data-panel="code" aria-labelledby="code-heading">
  <h2 id="code-heading" data-i18n="code"></h2>
  <p class="hint" data-i18n="code.hint"></p>
  <div class="code-tabs" role="tablist">
    <button id="code-keras" data-testid="code-keras" role="tab" data-framework="keras">Keras</button>
    <button id="code-pytorch" data-testid="code-pytorch" role="tab" data-framework="pytorch">PyTorch</button>
    <button id="code-copy" data-testid="code-copy" data-i18n="code.copy"></button>
  </div>
  <pre class="code-text"><code id="code-text" data-testid="code-text"></code></pre>
</section>
</main>
`;
