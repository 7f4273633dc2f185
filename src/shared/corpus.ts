// Corpus schemas shared by the engine, the CLI and the UI: filters, document summaries, statistics.
import { z } from 'zod'

export const DupStatus = z.enum(['unique', 'representative', 'near-duplicate'])
export type DupStatus = z.infer<typeof DupStatus>

/** A filter over the documents table; every field is optional and they combine with AND. */
export const DocFilter = z
  .object({
    /** Full-text query (English words or Chinese text). */
    query: z.string().max(500).optional(),
    lang: z.array(z.string().regex(/^[a-z]{2,3}$/)).max(20).optional(),
    source: z.array(z.string().max(200)).max(50).optional(),
    quality: z.enum(['pass', 'fail']).optional(),
    /** Documents that failed this quality rule. */
    failedRule: z.string().regex(/^[a-z0-9_]+$/).max(64).optional(),
    dup: DupStatus.optional(),
    minTokens: z.number().int().nonnegative().optional(),
    maxTokens: z.number().int().nonnegative().optional(),
    batch: z.string().regex(/^[a-z0-9-]{1,64}$/).optional(),
  })
  .strict()
export type DocFilter = z.infer<typeof DocFilter>

export const DocSort = z.enum(['imported', 'relevance', 'tokens-desc', 'tokens-asc'])
export type DocSort = z.infer<typeof DocSort>

export const DocSummary = z.object({
  id: z.string(),
  title: z.string().nullable(),
  snippet: z.string(),
  url: z.string().nullable(),
  source: z.string(),
  lang: z.string(),
  tokens: z.number(),
  qualityPass: z.boolean(),
  dupStatus: DupStatus,
  score: z.number().nullable(),
})
export type DocSummary = z.infer<typeof DocSummary>

export const DocProvenance = z.object({
  file: z.string(),
  member: z.string().nullable(),
  line: z.number().nullable(),
  record: z.number().nullable(),
  offset: z.number().nullable(),
  sourceId: z.string().nullable(),
  format: z.string(),
  batch: z.string(),
  importedAt: z.string(),
})

export const DocDetail = z.object({
  id: z.string(),
  title: z.string().nullable(),
  text: z.string(),
  url: z.string().nullable(),
  domain: z.string().nullable(),
  source: z.string(),
  lang: z.string(),
  langConfidence: z.number(),
  chars: z.number(),
  words: z.number(),
  tokens: z.number(),
  qualityPass: z.boolean(),
  qualityFails: z.array(z.string()),
  dupStatus: DupStatus,
  dupCluster: z.string(),
  dupSize: z.number(),
  provenance: DocProvenance,
  meta: z.record(z.string(), z.unknown()),
  nearDuplicates: z.array(DocSummary),
})
export type DocDetail = z.infer<typeof DocDetail>

const Count = z.object({ key: z.string(), documents: z.number(), tokens: z.number() })
export const CorpusStats = z.object({
  documents: z.number(),
  tokens: z.number(),
  /** How token counts were made: a tokenizer name, or "estimate" until one is configured. */
  tokenCounter: z.string(),
  languages: z.array(Count),
  sources: z.array(Count),
  qualityPass: z.number(),
  qualityFailures: z.array(z.object({ rule: z.string(), documents: z.number() })),
  nearDuplicates: z.number(),
  nearDuplicateClusters: z.number(),
  exactDuplicatesSkipped: z.number(),
  /** Token-length histogram: bucket lower bounds (log scale) and counts. */
  lengthHistogram: z.array(z.object({ from: z.number(), to: z.number(), documents: z.number() })),
  imports: z.number(),
})
export type CorpusStats = z.infer<typeof CorpusStats>

export type ProblemKind = 'unreadable' | 'decode' | 'bad-record' | 'unsupported' | 'oversize' | 'empty' | 'unsafe-path'

/** An input an import could not use, with its place (file, archive member, line, record, offset). */
export interface ImportProblem {
  kind: ProblemKind
  file: string
  member?: string
  line?: number
  record?: number
  offset?: number
  /** What went wrong and, where it helps, what to do. */
  reason: string
}
