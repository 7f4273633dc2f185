// Seeded random Llama weights for tests and format checks (not an initialisation scheme for training).
import { tensorShapes, type LlamaConfig } from './llama-config'
import { elementCount, type NamedTensors } from './named-tensors'
import { GGUF_TOKEN_TYPE, type GgufVocab } from './gguf'
import { Rng } from '../util/prng'

/**
 * Normal(0, std) matrices and norm weights around 1 for every tensor of the config. `std` may depend on the
 * tensor name (larger q/k weights make attention matter in a tiny model). Tied configs get lm_head = embeddings.
 */
export function randomLlamaWeights(cfg: LlamaConfig, seed = 1, std: number | ((name: string) => number) = 0.1): NamedTensors {
  const rng = new Rng(seed)
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next())
  const tensors: NamedTensors = new Map()
  for (const [name, shape] of tensorShapes(cfg)) {
    if (name === 'lm_head.weight' && cfg.tieWordEmbeddings) {
      const embed = tensors.get('model.embed_tokens.weight')!
      tensors.set(name, { shape, data: embed.data.slice() })
      continue
    }
    const data = new Float32Array(elementCount(shape))
    if (shape.length === 1) for (let i = 0; i < data.length; i++) data[i] = 1 + 0.2 * normal()
    else {
      const s = typeof std === 'number' ? std : std(name)
      for (let i = 0; i < data.length; i++) data[i] = s * normal()
    }
    tensors.set(name, { shape, data })
  }
  return tensors
}

/**
 * A small SentencePiece-style vocabulary llama.cpp accepts: <unk>, <s>, </s>, the 256 byte-fallback tokens,
 * then `pieces` (use "▁" for a leading space) with falling scores, so earlier pieces merge first.
 */
export function tinySpmVocab(pieces: readonly string[]): GgufVocab {
  const tokens = ['<unk>', '<s>', '</s>', ...Array.from({ length: 256 }, (_, i) => `<0x${i.toString(16).toUpperCase().padStart(2, '0')}>`), ...pieces]
  return {
    model: 'llama',
    tokens,
    scores: tokens.map((_, i) => (i < 259 ? 0 : -(i - 259))),
    tokenTypes: tokens.map((_, i) => (i === 0 ? GGUF_TOKEN_TYPE.UNKNOWN : i < 3 ? GGUF_TOKEN_TYPE.CONTROL : i < 259 ? GGUF_TOKEN_TYPE.BYTE : GGUF_TOKEN_TYPE.NORMAL)),
    bos: 1,
    eos: 2,
    unk: 0,
    addBos: true,
    addEos: false,
  }
}
