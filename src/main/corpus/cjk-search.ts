// Chinese full-text search: CJK runs are indexed as overlapping character bigrams (as Lucene's
// CJKAnalyzer does), so any word of two or more characters is found as a phrase of bigrams,
// without a segmentation dictionary that could split the query differently from the document.
const CJK_RUN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]+/g
const HAS_CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]/

export function hasCjk(text: string): boolean {
  return HAS_CJK.test(text)
}

/** Text with each CJK run replaced by its space-separated bigrams (single characters stay as they are). */
export function cjkBigrams(text: string): string {
  return text.replace(CJK_RUN, (run) => {
    if (run.length === 1) return ` ${run} `
    const grams: string[] = []
    for (let i = 0; i < run.length - 1; i++) grams.push(run.slice(i, i + 2))
    return ` ${grams.join(' ')} `
  })
}
