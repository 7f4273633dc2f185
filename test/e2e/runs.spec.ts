// Training in the real UI: start a run on an imported corpus in one click (a byte-level BPE trained on the
// corpus, the 1M proxy), watch its live charts, sample from its checkpoint, compare two runs; screenshots
// in both themes.
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { cli } from '../helpers/cli'
import { HAS_SHARED_DATA, SHARED_DATA } from '../helpers/shared-data'
import { useServer } from '../helpers/use-server'

const SHOTS = path.resolve(__dirname, '../../test-results/screenshots')

test.skip(!HAS_SHARED_DATA, `needs ${SHARED_DATA}`)

const server = useServer('cpt-e2e-runs-', async (ws, env) => {
  await cli(['workspace', 'init', ws, '--name', 'Runs test'], env)
  const r = await cli(['import', path.join(SHARED_DATA, 'corpus/dolma/formats'), '--workspace', ws, '--json'], env)
  if (r.code !== 0) throw new Error(r.stderr)
})

async function startRun(page: import('@playwright/test').Page, name: string, lr: string, steps = 30): Promise<void> {
  await page.getByRole('button', { name: 'New run' }).first().click()
  const form = page.getByRole('form', { name: 'New run' })
  await form.getByPlaceholder(/Name/).fill(name)
  await form.getByLabel('Train a byte-level BPE from the corpus').check()
  await form.getByLabel('Vocabulary size').fill('512')
  await form.getByRole('radio', { name: 'Steps', exact: true }).check()
  await form.getByRole('spinbutton', { name: 'Steps', exact: true }).fill(String(steps))
  await form.getByRole('spinbutton', { name: 'Batch' }).fill('4')
  await form.getByRole('spinbutton', { name: 'Sequence' }).fill('64')
  await form.getByRole('spinbutton', { name: 'Peak LR' }).fill(lr)
  await form.getByRole('spinbutton', { name: 'Warmup steps' }).fill('3')
  await form.getByText('Advanced').click()
  await form.getByRole('spinbutton', { name: 'Evaluate every' }).fill('10')
  await form.getByRole('spinbutton', { name: 'Checkpoint every' }).fill('10')
  await form.getByRole('button', { name: 'Start run' }).click()
}

test('start a run, watch it train, sample from it, compare two runs', async ({ page }) => {
  test.setTimeout(300_000)
  await page.goto(server().url)
  await page.keyboard.press('Alt+4')
  await expect(page.getByRole('heading', { name: 'Runs' })).toBeVisible()

  await startRun(page, 'BPE 512, lr 3e-3', '0.003', 80)
  await expect(page.getByRole('heading', { name: 'BPE 512, lr 3e-3' })).toBeVisible({ timeout: 60_000 })
  const table = page.getByRole('table', { name: 'Training runs' })
  // Stop it while it trains (the trainer checkpoints), then resume it to the end.
  await expect(table.getByText('Training')).toBeVisible({ timeout: 120_000 })
  await page.getByRole('button', { name: 'Stop' }).click()
  await expect(table.getByText('Stopped')).toBeVisible({ timeout: 60_000 })
  await page.getByRole('button', { name: 'Resume' }).click()
  await expect(table.getByText('Finished')).toBeVisible({ timeout: 240_000 })
  const loss = page.getByRole('region', { name: 'Loss' }).getByRole('slider').first()
  await expect(loss).toHaveAttribute('aria-label', /Training loss.*80 points/)
  await loss.focus()
  await page.keyboard.press('End')
  await expect(loss).toHaveAttribute('aria-valuetext', /step 80/i)
  await page.screenshot({ path: path.join(SHOTS, 'runs-light.png'), fullPage: true })

  const sample = page.getByRole('form', { name: 'Sample' })
  await sample.getByLabel('Prompt').fill('The ')
  await sample.getByRole('button', { name: 'Generate' }).click()
  await expect(page.getByLabel('Generated text')).not.toBeEmpty({ timeout: 60_000 })

  await startRun(page, 'BPE 512, lr 1e-3', '0.001')
  await expect(table.getByText('Finished')).toHaveCount(2, { timeout: 240_000 })
  for (const row of await table.getByRole('checkbox', { name: /^Compare/ }).all()) await row.check()
  await expect(page.getByRole('region', { name: 'Compare two runs' })).toBeVisible()
  await page.getByRole('radio', { name: 'Dark theme' }).click()
  await page.screenshot({ path: path.join(SHOTS, 'runs-compare-dark.png'), fullPage: true })
})
