// <dfdx-playground>: the playground as a web component for docs pages, loaded with one script
// tag: <script type="module" src="…/src/component.js"></script>. Attributes, read once when
// the element is connected:
//   preset="spiral"                  the first network (a preset id)
//   spec='{"data": …}'               or a whole spec as JSON, which wins over preset
//   panels="controls,network,charts" the panels to show: header, controls, data, network,
//                                    training, charts, views, formulas, code
//   autoplay                         start training once loaded
//   lang="zh-CN"                     the UI language (en or zh-CN)
// Each element runs its own Worker, so several on one page train independently. The markup
// lives in a shadow root, so the docs page's styles and the playground's do not mix.
import { TEMPLATE } from './template.js';
import { createPlayground, PANELS } from './playground.js';

const STYLESHEETS = [
  new URL('../vendor/uPlot.min.css', import.meta.url),
  new URL('../vendor/katex.min.css', import.meta.url),
  new URL('./style.css', import.meta.url),
];

/**
 * Links KaTeX's stylesheet into the document as well, because browsers ignore @font-face rules
 * inside a shadow root, and the formulas need KaTeX's fonts.
 */
function linkKatexFonts() {
  const href = STYLESHEETS[1].href;
  if (document.head.querySelector(`link[href="${href}"]`)) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = href;
  document.head.append(link);
}

class DfdxPlayground extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    linkKatexFonts();
    const shadow = this.attachShadow({ mode: 'open' });
    const links = STYLESHEETS.map((href) => `<link rel="stylesheet" href="${href}">`).join('');
    shadow.innerHTML = `${links}<div class="app">${TEMPLATE}</div>`;

    let spec;
    let specError = null;
    if (this.hasAttribute('spec')) {
      try {
        spec = JSON.parse(this.getAttribute('spec'));
      } catch (error) {
        specError = error.message;
      }
    }
    const panels = this.getAttribute('panels')?.split(',').map((p) => p.trim())
      .filter((panel) => PANELS.includes(panel));
    const lang = this.getAttribute('lang');
    createPlayground(shadow, {
      preset: this.getAttribute('preset') ?? undefined,
      spec,
      specError,
      panels: panels?.length ? panels : undefined,
      autoplay: this.hasAttribute('autoplay'),
      lang: ['en', 'zh-CN'].includes(lang) ? lang : undefined,
    });
  }
}

if (!customElements.get('dfdx-playground')) {
  customElements.define('dfdx-playground', DfdxPlayground);
}
