// The real UI in Chromium against `cpt-studio serve`: token, workspaces, every view, jobs, themes.
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { type Page, expect, test } from '@playwright/test'
import { useServer } from '../helpers/use-server'

const VIEWS = ['Corpus', 'Synthesis', 'Mixtures', 'Runs', 'Evaluation', 'Jobs', 'Settings'] as const
const SHOTS = path.resolve(__dirname, '../../test-results/screenshots')

const server = useServer('cpt-e2e-')

async function createWorkspace(page: Page, dir: string, name: string): Promise<void> {
  await page.getByRole('button', { name: 'Switch workspace' }).click()
  const dialog = page.getByRole('dialog', { name: 'Switch workspace' })
  await dialog.getByLabel('Workspace folder').fill(dir)
  await dialog.getByLabel('Workspace name').fill(name)
  await dialog.getByRole('button', { name: 'Create workspace' }).click()
  await expect(dialog).toBeHidden()
  await expect(page.getByRole('button', { name: 'Switch workspace' })).toContainText(name)
}

test('web mode requires the token', async ({ page, request }) => {
  expect((await request.get(server().origin)).status()).toBe(401)
  expect((await request.post(`${server().origin}/api/app:info`, { data: {} })).status()).toBe(401)
  const res = await page.goto(server().origin)
  expect(res?.status()).toBe(401)
})

test('create a workspace, visit every view, run a job to 100%', async ({ page }) => {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  const res = await page.goto(server().url)
  expect(res?.headers()['content-security-policy']).toContain("script-src 'self'")
  // The token leaves the address bar once the app has it.
  await expect(page).not.toHaveURL(/token=/)
  // No Node in the page.
  expect(await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined')

  const dir = path.join(server().dir, 'created')
  await createWorkspace(page, dir, 'E2E science')
  await expect(page).toHaveTitle('E2E science — CPT Studio')

  for (const view of VIEWS) {
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: view }).click()
    await expect(page.getByRole('heading', { level: 1, name: view })).toBeVisible()
  }
  // Keyboard: Alt+1 goes to the first view.
  await page.keyboard.press('Alt+1')
  await expect(page.getByRole('heading', { level: 1, name: 'Corpus' })).toBeVisible()
  await expect(page.getByText('This workspace has no documents yet.')).toBeVisible()

  mkdirSync(path.join(dir, 'runs', 'r1'))
  writeFileSync(path.join(dir, 'runs', 'r1', 'metrics.jsonl'), '{"step":1,"loss":3.2}\n'.repeat(5000))
  await page.keyboard.press('Alt+6')
  await expect(page.getByText('No jobs yet')).toBeVisible()
  await page.getByRole('button', { name: 'Check workspace' }).click()
  const card = page.getByRole('article', { name: 'Workspace check' })
  await expect(card).toHaveAttribute('data-status', 'succeeded')
  await expect(card.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100')
  await expect(card.getByText('100%')).toBeVisible()
  await card.getByRole('button', { name: /Show details/ }).click()
  await expect(card.getByLabel('Log of Workspace check')).toContainText('Checked 0 tables and 1 files')
  expect(errors).toEqual([])
})

test('cancel a running job', async ({ page }) => {
  await page.goto(server().url)
  const dir = path.join(server().dir, 'big')
  await createWorkspace(page, dir, 'Big files')
  const big = path.join(dir, 'models', 'weights.bin')
  writeFileSync(big, '')
  truncateSync(big, 8 * 1024 ** 3) // sparse: costs no disk, takes seconds to hash
  await page.keyboard.press('Alt+6')
  await page.getByLabel('Rehash every file').check()
  await page.getByRole('button', { name: 'Check workspace' }).click()
  const card = page.getByRole('article', { name: 'Workspace check (deep)' })
  await expect(card).toHaveAttribute('data-status', 'running')
  await expect(card.getByText(/ETA/)).toBeVisible()
  await card.getByRole('button', { name: 'Cancel' }).click()
  await expect(card).toHaveAttribute('data-status', 'cancelled')
  const now = Number(await card.getByRole('progressbar').getAttribute('aria-valuenow'))
  expect(now).toBeLessThan(100)
})

test('close and reopen a workspace; a folder that is not one gets a clear message', async ({ page }) => {
  await page.goto(server().url)
  await createWorkspace(page, path.join(server().dir, 'reopen'), 'Reopen me')
  await page.keyboard.press('Alt+7')
  await page.getByRole('button', { name: 'Close workspace' }).click()
  await page.keyboard.press('Alt+1')
  await expect(page.getByRole('heading', { name: 'Welcome to CPT Studio' })).toBeVisible()
  const notWs = path.join(server().dir, 'plain')
  mkdirSync(notWs)
  writeFileSync(path.join(notWs, 'notes.txt'), 'mine')
  const main = page.getByRole('main')
  await main.getByLabel('Workspace folder').fill(notWs)
  await main.getByRole('button', { name: 'Open workspace' }).click()
  await expect(main.getByRole('alert')).toContainText('is not a CPT Studio workspace')
  await main.getByRole('button', { name: /Reopen me/ }).click()
  await expect(page.getByRole('button', { name: 'Switch workspace' })).toContainText('Reopen me')
})

test('themes: follows the system, and the manual switch wins; screenshots at 1280x800', async ({ page }) => {
  mkdirSync(SHOTS, { recursive: true })
  await page.goto(server().url)
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme })
    await expect(page.locator('html')).toHaveAttribute('data-theme', scheme)
    for (const [key, view] of [['1', 'corpus'], ['6', 'jobs'], ['7', 'settings']] as const) {
      await page.keyboard.press(`Alt+${key}`)
      await page.waitForTimeout(150)
      await page.screenshot({ path: path.join(SHOTS, `${view}-${scheme}.png`) })
    }
  }
  await page.emulateMedia({ colorScheme: 'light' })
  await page.getByRole('radio', { name: 'Dark theme' }).first().click()
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
  await page.reload()
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
  await page.getByRole('radio', { name: 'System theme' }).first().click()
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light')
})
