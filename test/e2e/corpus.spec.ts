// The corpus in the real UI: drop files onto the web-mode app, watch the import job, search in English
// and Chinese, open a document; a script inside an imported page never runs.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { HAS_SHARED_DATA, SHARED_DATA } from '../helpers/shared-data'
import { useServer } from '../helpers/use-server'

const HOSTILE = `<!doctype html><html><head><title>Hostile page about entropy</title>
<script>window.__pwned = true; document.title = 'PWNED'</script></head>
<body><article><h1>Hostile page about entropy</h1>
<p>Entropy measures the uncertainty of a random variable; this paragraph is long enough to be the main content of the page for the extractor.</p>
<p>It also carries markup that must stay inert: <img src="x" onerror="window.__pwned = true"> and a second script.</p>
<script>window.__pwned = true</script>
<p>Shannon defined entropy in 1948 as the expected information content of a message drawn from a source.</p>
</article></body></html>`

const server = useServer('cpt-e2e-corpus-')

test.skip(!HAS_SHARED_DATA, `needs ${SHARED_DATA}`)

test('drop files, import, search English and Chinese, open a document safely', async ({ page }) => {
  const files = [
    { name: 'hostile.html', type: 'text/html', data: Buffer.from(HOSTILE) },
    { name: 'continuous_bradford.html', type: 'text/html', data: readFileSync(path.join(SHARED_DATA, 'pages/en/python-scipy-doc/python-scipy-doc/html/tutorial/stats/continuous_bradford.html')) },
    { name: '04060106.html', type: 'text/html', data: readFileSync(path.join(SHARED_DATA, 'pages/zh/libreoffice-help-zh-cn/libreoffice/help/zh-CN/text/scalc/01/04060106.html')) },
    { name: 'cc_en_head-0174.jsonl', type: 'application/json', data: readFileSync(path.join(SHARED_DATA, 'corpus/dolma/multiple_files/cc_en_head-0174.jsonl')) },
  ].map((f) => ({ ...f, data: f.data.toString('base64') }))

  await page.goto(server().url)
  await expect(page.getByText('Drop files or folders here')).toBeVisible()
  const dt = await page.evaluateHandle((list) => {
    const dt = new DataTransfer()
    for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0))], f.name, { type: f.type }))
    return dt
  }, files)
  await page.getByRole('group', { name: 'Import documents' }).dispatchEvent('drop', { dataTransfer: dt })

  // The import job shows its progress, then the documents appear.
  await expect(page.getByText('13 documents')).toBeVisible({ timeout: 60_000 })
  await page.keyboard.press('Alt+6')
  const job = page.locator('article[data-status="succeeded"]', { hasText: 'Import' })
  await expect(job.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100')
  await page.keyboard.press('Alt+1')

  const search = page.getByPlaceholder('Search English or 中文…')
  await search.fill('entropy uncertainty')
  await search.press('Enter')
  await expect(page.getByText('1 document')).toBeVisible()
  await page.getByRole('listbox').getByRole('option', { name: /Hostile page about entropy/ }).click()
  const panel = page.getByRole('complementary', { name: 'Document' })
  await expect(panel.getByText('Shannon defined entropy in 1948')).toBeVisible()
  await expect(panel.getByText('hostile.html')).toBeVisible()
  expect(await page.evaluate(() => (window as unknown as { __pwned?: boolean }).__pwned)).toBeUndefined()
  await expect(page).not.toHaveTitle('PWNED')
  expect(await panel.locator('script, img').count()).toBe(0)

  await search.fill('数学函数')
  await search.press('Enter')
  const first = page.getByRole('listbox').getByRole('option').first()
  await expect(first).toContainText(/\bzh\b/)
  await first.click()
  await expect(panel).toContainText('Chinese')

  await page.getByRole('tab', { name: 'Dashboard' }).click()
  await expect(page.getByRole('region', { name: 'Languages' })).toBeVisible()
  await page.screenshot({ path: path.resolve(__dirname, '../../test-results/screenshots/corpus-dashboard.png') })
  // A bar of the dashboard filters the list.
  await page.getByRole('region', { name: 'Languages' }).getByRole('button', { name: /Chinese/ }).click()
  await expect(page.getByRole('listbox').getByRole('option').first()).toContainText(/\bzh\b/)
  await expect(page.getByText('1 document')).toBeVisible()
})

test('choose files with the picker and import them', async ({ page }) => {
  await page.goto(server().url)
  await page.getByRole('button', { name: 'Import' }).click()
  await expect(page.getByRole('button', { name: 'Choose files…' })).toBeVisible()
  const file = path.join(SHARED_DATA, 'corpus/dolma/multiple_files/cc_en_head-0091.jsonl')
  await page.getByLabel('Files to import').setInputFiles(file)
  await page.keyboard.press('Alt+6')
  await expect(page.locator('article[data-status="succeeded"]', { hasText: 'Import' })).toHaveCount(2, { timeout: 60_000 })
})
