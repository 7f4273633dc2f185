// Entry of the built `cpt-studio` command (out/main/cli.js).
import { run } from './cli'

run(process.argv.slice(2))
