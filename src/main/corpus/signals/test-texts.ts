// Test helpers: short texts written for the signal tests (clean English and Chinese prose, and their variants).

/** A clean English article of about 170 words. */
export const ENGLISH_ARTICLE = [
  'Continual pre-training adapts a language model to new knowledge without starting from scratch.',
  'Researchers first collect large amounts of text in the languages and domains they care about, and then they clean it carefully.',
  'Duplicated web pages, advertising and broken markup are removed, because they waste training steps and can teach the model bad habits.',
  'The mixture of the data matters as much as its quality. If too little of the original language is kept, the model slowly forgets what it knew; if too much is kept, it learns the new material only slowly.',
  'Teams therefore change the ratio between stages and watch the validation loss of each part of the mixture.',
  'Scientific text, such as mathematics, physics and chemistry, helps with reasoning, while good encyclopedia and news articles give the model a broad view of the world.',
  'After training, the model is evaluated on many benchmarks to make sure that it has not lost the skills it had before.',
].join('\n')

/** A clean Chinese article of about 330 characters. */
export const CHINESE_ARTICLE = [
  '持续预训练是让大语言模型学习新领域知识的一种常用方法。研究人员通常会先收集大量的中文和英文语料，然后对这些数据进行清洗、去重和质量筛选。在这个过程中，重复的网页、广告文本以及格式混乱的内容都会被过滤掉，因为它们会降低模型的学习效率。',
  '数据配比也是一个关键问题。如果中文数据太少，模型在中文任务上的表现就不会有明显提升；如果英文数据太少，模型原有的英文能力又可能出现退化。因此，很多团队会在训练的不同阶段调整两种语言的比例，并用验证集观察损失的变化。',
  '除了语言比例之外，领域数据的选择同样重要。数学、物理和化学等学科的文本可以帮助模型提高推理能力，而高质量的百科和新闻文章则能让模型掌握更广泛的常识。训练结束以后，研究人员还要在多个基准上评估模型，确认它没有遗忘已经学会的知识。',
].join('\n\n')

/** Replace the words at the given positions (of the whitespace-separated words) with other words. */
export function changeWords(text: string, positions: readonly number[]): string {
  const parts = text.split(/(\s+)/)
  let word = 0
  return parts
    .map((part) => {
      if (/^\s*$/.test(part)) return part
      const changed = positions.includes(word) ? `changed${word}` : part
      word++
      return changed
    })
    .join('')
}

/** Replace the characters at the given positions with another Han character. */
export function changeChars(text: string, positions: readonly number[]): string {
  const chars = [...text]
  for (const at of positions) chars[at] = chars[at] === '变' ? '改' : '变'
  return chars.join('')
}
