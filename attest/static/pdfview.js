// The memo page's PDF viewer: every page of the frozen PDF drawn with pdf.js, which attest
// serves itself (/pdfjs). A module script from attest's own origin, as the page's
// Content-Security-Policy requires; pdf.js is loaded only on a page that shows a PDF.
const view = document.querySelector(".pdf-pages[data-pdf]");
if (view) {
  show(view);
}

// "Sida {number} av {count}" and the like: the texts come translated from the page.
function say(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
}

async function show(view) {
  const texts = view.dataset;
  const status = view.querySelector(".pdf-status");
  status.textContent = texts.loading;
  try {
    const pdfjs = await import(texts.library);
    pdfjs.GlobalWorkerOptions.workerSrc = texts.worker;
    const pdf = await pdfjs.getDocument({
      url: texts.pdf,
      // No eval (the CSP forbids it) and no WebAssembly (it would need 'wasm-unsafe-eval'):
      // pdf.js has JavaScript for both.
      isEvalSupported: false,
      useWasm: false,
      standardFontDataUrl: texts.standardFonts,
      cMapUrl: texts.cmaps,
    }).promise;
    const count = pdf.numPages;
    // One page after the other: a long PDF never holds more than one page's work at once.
    for (let number = 1; number <= count; number++) {
      const page = await pdf.getPage(number);
      view.append(await draw(page, say(texts.page, { number, count }), view.clientWidth));
      page.cleanup();
    }
    status.textContent = say(texts.done, { count });
    view.dataset.pages = String(count); // for the tests: every page is drawn
  } catch (error) {
    console.error(error);
    status.textContent = texts.failed;
    view.dataset.failed = "true";
  }
}

async function draw(page, label, width) {
  const figure = document.createElement("figure");
  figure.className = "pdf-page";
  const canvas = document.createElement("canvas");
  // The page as a picture, named by its number; its text is on the page below the PDF.
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", label);
  const natural = page.getViewport({ scale: 1 });
  // Sharp on a phone's dense screen too: drawn at the device's pixels, shown at the width.
  const scale = (Math.max(width, 200) / natural.width) * (window.devicePixelRatio || 1);
  const viewport = page.getViewport({ scale });
  canvas.width = Math.floor(viewport.width);
  canvas.height = Math.floor(viewport.height);
  figure.append(canvas);
  await page.render({ canvas, canvasContext: canvas.getContext("2d"), viewport }).promise;
  return figure;
}
