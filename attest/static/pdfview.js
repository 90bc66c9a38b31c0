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
    // Every page gets its place at once (its size known); a page is drawn when it comes
    // near the screen, one at a time: a bilaga of hundreds of pages never holds the
    // browser, nor its memory, for the pages nobody looked at.
    const drawing = drawInTurn();
    const observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          if (entry.isIntersecting) {
            observer.unobserve(entry.target);
            drawing(entry.target);
          }
        }
      },
      { rootMargin: "100% 0px" },
    );
    for (let number = 1; number <= count; number++) {
      const page = await pdf.getPage(number);
      const place = placeFor(page, say(texts.page, { number, count }));
      view.append(place);
      observer.observe(place);
    }
    status.textContent = say(texts.done, { count });
    view.dataset.pages = String(count); // for the tests: every page has its place
  } catch (error) {
    console.error(error);
    status.textContent = texts.failed;
    view.dataset.failed = "true";
  }
}

// A page's place: a picture named by its number (its text is on the page below the PDF),
// as tall as the page will be.
function placeFor(page, label) {
  const figure = document.createElement("figure");
  figure.className = "pdf-page";
  figure.setAttribute("role", "img");
  figure.setAttribute("aria-label", label);
  const natural = page.getViewport({ scale: 1 });
  figure.style.aspectRatio = `${natural.width} / ${natural.height}`;
  figure.pdfPage = page;
  return figure;
}

function drawInTurn() {
  let last = Promise.resolve();
  return (place) => {
    last = last.then(() => draw(place)).catch((error) => console.error(error));
  };
}

async function draw(place) {
  const page = place.pdfPage;
  const canvas = document.createElement("canvas");
  // Sharp on a phone's dense screen too: drawn at the device's pixels, shown at the width.
  const width = Math.max(place.clientWidth, 200);
  const scale = (width / page.getViewport({ scale: 1 }).width) * (window.devicePixelRatio || 1);
  const viewport = page.getViewport({ scale });
  canvas.width = Math.floor(viewport.width);
  canvas.height = Math.floor(viewport.height);
  await page.render({ canvas, canvasContext: canvas.getContext("2d"), viewport }).promise;
  page.cleanup();
  place.append(canvas);
  place.dataset.drawn = "true";
}
