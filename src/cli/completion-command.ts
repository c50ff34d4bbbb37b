/**
 * `lakehouse completion bash|zsh|fish`: a completion script for the shell. The scripts ask the
 * command itself what fits (`lakehouse completion --complete INDEX WORDS…`): commands, the options
 * of the command being typed (read from the usage text, their one home), values of --format, and
 * table names from the lake that the command line (or the current folder) names, listed from the
 * folders alone, without loading DuckDB.
 */
import { readdirSync } from 'node:fs'
import * as path from 'node:path'
import { UsageError, type Out } from './args'
import { findLake } from './find-lake'
import { COMMAND_NAMES, USAGE } from './usage'

/** Printed instead of candidates when a file name is expected: the shell completes paths itself. */
const FILES = '__files__'
const FILE_OPTIONS = new Set(['--lake', '--dir', '--pipeline', '--out'])
const TABLE_COMMANDS = new Set(['history', 'changes', 'optimize', 'vacuum'])
const VALUES: Record<string, string[]> = { '--format': ['table', 'json', 'csv', 'markdown'] }

export async function completionCommand(args: string[], out: Out): Promise<number> {
  if (args[0] === '--complete') {
    const index = Number(args[1])
    const words = args.slice(2)
    out(`${candidates(words, Number.isInteger(index) ? index : words.length - 1).join('\n')}\n`)
    return 0
  }
  const shell = args[0]
  const script = shell === undefined ? undefined : SCRIPTS[shell]
  if (!script || args.length !== 1) throw new UsageError(`completion takes one shell: bash, zsh or fish${shell ? `, not '${shell}'` : ''}`)
  out(script)
  return 0
}

/** What may stand at words[index] (words[0] is `lakehouse`). */
export function candidates(words: string[], index: number): string[] {
  if (index <= 1) return [...COMMAND_NAMES, 'help', 'completion']
  const command = words[1]
  const previous = words[index - 1]
  if (FILE_OPTIONS.has(previous)) return [FILES]
  if (VALUES[previous]) return VALUES[previous]
  if (command === 'completion') return index === 2 ? ['bash', 'zsh', 'fish'] : []
  const current = words[index] ?? ''
  if (current.startsWith('-')) return optionsOf(command)
  if (TABLE_COMMANDS.has(command)) {
    const lakeAt = words.indexOf('--lake')
    return tableNames(lakeAt > 0 ? words[lakeAt + 1] : undefined)
  }
  return []
}

/** The options that the usage text shows for the command (its line and the lines under it). */
function optionsOf(command: string): string[] {
  const lines = USAGE.split('\n')
  const start = lines.findIndex((l) => l.startsWith(`  lakehouse ${command} `) || l === `  lakehouse ${command}`)
  if (start < 0) return []
  let end = start + 1
  while (end < lines.length && /^ {6}/.test(lines[end])) end++
  return [
    ...new Set(
      lines
        .slice(start, end)
        .join(' ')
        .match(/--[a-z][a-z-]*/g) ?? [],
    ),
  ]
}

/** zone.table for every <lake>/<zone>/<table>/_delta_log. */
function tableNames(lakeOption: string | undefined): string[] {
  const lake = findLake(lakeOption).dir
  const names: string[] = []
  const folders = (dir: string) => {
    try {
      return readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
    } catch {
      return []
    }
  }
  for (const zone of folders(lake)) {
    for (const table of folders(path.join(lake, zone))) {
      if (folders(path.join(lake, zone, table)).includes('_delta_log')) names.push(`${zone}.${table}`)
    }
  }
  return names.sort()
}

const BASH = `# lakehouse completion for bash: add to ~/.bashrc
#   source <(lakehouse completion bash)
_lakehouse() {
  local IFS=$'\\n' current="\${COMP_WORDS[COMP_CWORD]}" words
  words=$(lakehouse completion --complete "$COMP_CWORD" "\${COMP_WORDS[@]}" 2>/dev/null) || return
  if [ "$words" = "${FILES}" ]; then
    COMPREPLY=($(compgen -f -- "$current"))
  else
    COMPREPLY=($(compgen -W "$words" -- "$current"))
  fi
}
complete -o filenames -F _lakehouse lakehouse
`

const ZSH = `# lakehouse completion for zsh: add to ~/.zshrc
#   source <(lakehouse completion zsh)
autoload -U +X bashcompinit && bashcompinit
${BASH.split('\n').slice(2).join('\n')}`

const FISH = `# lakehouse completion for fish: save as ~/.config/fish/completions/lakehouse.fish
#   lakehouse completion fish > ~/.config/fish/completions/lakehouse.fish
function __lakehouse_complete
  set -l words (commandline -opc) (commandline -ct)
  set -l found (lakehouse completion --complete (math (count $words) - 1) $words 2>/dev/null)
  if test "$found" = "${FILES}"
    __fish_complete_path (commandline -ct)
  else
    printf '%s\\n' $found
  end
end
complete -c lakehouse -f -a '(__lakehouse_complete)'
`

const SCRIPTS: Record<string, string> = { bash: BASH, zsh: ZSH, fish: FISH }
