import { extractText, getDocumentProxy, getMeta } from 'unpdf';
import { AssayError, badRequest } from '../../errors.js';
import { checkTextChars, paragraphs } from './text-util.js';
import type { Metadata, ParsedDocument, ParseLimits, Section } from './types.js';

/**
 * PDF → sections with unpdf (pdf.js): the text of each page, split into paragraphs at blank lines,
 * with `{ page }` (1-based) as section metadata. The document info dictionary gives the title and
 * author/subject/keywords metadata. A PDF with no extractable text (scanned images) is an error.
 */
export async function parsePdf(bytes: Uint8Array, source: string, limits: ParseLimits): Promise<ParsedDocument> {
  if (!startsWithPdfHeader(bytes)) {
    throw badRequest(`${source} is not a PDF (it does not start with %PDF-)`, 'file', 'invalid_pdf');
  }
  let doc: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // pdf.js may transfer the buffer it is given: hand it a copy so the caller's bytes stay usable.
    doc = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0, isEvalSupported: false });
  } catch (err) {
    throw pdfError(err, source);
  }
  try {
    if (doc.numPages > limits.maxPages) {
      throw badRequest(`${source} has ${doc.numPages} pages, more than the limit of ${limits.maxPages}: split it into smaller files`, 'file', 'too_many_pages');
    }
    const metadata: Metadata = {};
    let title: string | undefined;
    try {
      const { info } = (await getMeta(doc)) as { info?: Record<string, unknown> };
      for (const [from, to] of [['Author', 'author'], ['Subject', 'subject'], ['Keywords', 'keywords']] as const) {
        const v = info?.[from];
        if (typeof v === 'string' && v.trim()) metadata[to] = v.trim();
      }
      if (typeof info?.Title === 'string' && info.Title.trim()) title = info.Title.trim();
    } catch {
      // A broken info dictionary only loses metadata; the text is what matters.
    }
    metadata.pages = doc.numPages;
    let pages: string[];
    try {
      pages = (await extractText(doc, { mergePages: false })).text;
    } catch (err) {
      throw pdfError(err, source);
    }
    const sections: Section[] = [];
    let chars = 0;
    pages.forEach((pageText, i) => {
      const norm = pageText.replace(/\r\n?/g, '\n').replace(/\u0000/g, '');
      chars += norm.length;
      checkTextChars(chars, source, limits);
      for (const p of paragraphs(norm)) sections.push({ headingPath: [], text: p, kind: 'paragraph', metadata: { page: i + 1 } });
    });
    if (!sections.length) {
      throw badRequest(
        `${source} has no extractable text (${doc.numPages} page${doc.numPages === 1 ? '' : 's'}; it may be scanned images): run OCR on it first, or upload the text`,
        'file',
        'no_text',
      );
    }
    return { source, format: 'pdf', title, sections, metadata };
  } finally {
    await doc.destroy().catch(() => undefined);
  }
}

function startsWithPdfHeader(bytes: Uint8Array): boolean {
  // The header may follow a little junk (the spec allows it within the first 1024 bytes).
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('latin1');
  return head.includes('%PDF-');
}

function pdfError(err: unknown, source: string): AssayError {
  if (err instanceof AssayError) return err;
  const name = err instanceof Error ? err.name : '';
  const message = err instanceof Error ? err.message : String(err);
  if (name === 'PasswordException') {
    return badRequest(`${source} is password-protected: remove the password and upload it again`, 'file', 'encrypted_pdf');
  }
  return badRequest(`${source} could not be read as a PDF (${message}): check that the file is complete and not corrupted`, 'file', 'invalid_pdf');
}
