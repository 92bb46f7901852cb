// The page for iframes (embed.html). Query parameters configure it:
//   preset=keras-iris     the first network (a preset id); the URL fragment overrides it
//   panels=controls,charts the panels to show: header, controls, data, network, training, charts
//   autoplay=1            start training once loaded
//   lang=zh-CN            the UI language (en or zh-CN)
import { TEMPLATE } from './template.js';
import { createPlayground, PANELS } from './playground.js';

const params = new URLSearchParams(location.search);
const panels = params.get('panels')?.split(',').filter((panel) => PANELS.includes(panel));
document.getElementById('app').innerHTML = TEMPLATE;
createPlayground(document, {
  url: true,
  title: true,
  preset: params.get('preset') ?? undefined,
  panels: panels?.length ? panels : undefined,
  autoplay: params.get('autoplay') === '1',
  lang: ['en', 'zh-CN'].includes(params.get('lang')) ? params.get('lang') : undefined,
});
