/**
 * The local file system behind the Delta core's Storage interface. New files are written under a
 * temporary name and then linked (put-if-absent) or renamed (replace) into place, so a reader
 * never sees a half-written commit, and two writers can never both create the same version.
 */
import { randomUUID } from 'node:crypto'
import { promises as fs, watch } from 'node:fs'
import * as path from 'node:path'
import type { FileInfo, Storage, StorageWatch } from '../delta'

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

async function writeTemporary(target: string, data: Uint8Array): Promise<string> {
  const directory = path.dirname(target)
  await fs.mkdir(directory, { recursive: true })
  const temporary = path.join(directory, `.${path.basename(target)}.${randomUUID()}.tmp`)
  const handle = await fs.open(temporary, 'wx')
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
  return temporary
}

export class LocalStorage implements Storage {
  async list(directory: string): Promise<string[] | undefined> {
    try {
      return (await fs.readdir(directory)).sort()
    } catch (error) {
      if (isMissing(error)) return undefined
      throw error
    }
  }

  async read(file: string): Promise<Uint8Array | undefined> {
    try {
      return await fs.readFile(file)
    } catch (error) {
      if (isMissing(error)) return undefined
      throw error
    }
  }

  async putIfAbsent(file: string, data: Uint8Array): Promise<boolean> {
    const temporary = await writeTemporary(file, data)
    try {
      await fs.link(temporary, file)
      return true
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw error
    } finally {
      await fs.rm(temporary, { force: true })
    }
  }

  async put(file: string, data: Uint8Array): Promise<void> {
    const temporary = await writeTemporary(file, data)
    try {
      await fs.rename(temporary, file)
    } catch (error) {
      await fs.rm(temporary, { force: true })
      throw error
    }
  }

  async delete(file: string): Promise<void> {
    await fs.rm(file, { force: true })
  }

  async stat(file: string): Promise<FileInfo | undefined> {
    try {
      const info = await fs.stat(file)
      return { name: path.basename(file), size: info.size, modificationTime: Math.floor(info.mtimeMs) }
    } catch (error) {
      if (isMissing(error)) return undefined
      throw error
    }
  }

  join(root: string, relative: string): string {
    return path.join(root, relative)
  }

  async realPath(file: string): Promise<string | undefined> {
    try {
      return await fs.realpath(file)
    } catch (error) {
      if (isMissing(error)) return undefined
      throw error
    }
  }

  /** inotify on Linux (FSEvents, ReadDirectoryChangesW elsewhere); network mounts may stay silent, hence callers keep a slow poll. */
  watch(directory: string, onChange: (name: string) => void): StorageWatch | undefined {
    try {
      const watcher = watch(directory, (_event, name) => name && onChange(name.toString()))
      // An error after the start (the folder deleted) ends the notifications; the caller's poll goes on.
      watcher.on('error', () => undefined)
      return watcher
    } catch {
      return undefined
    }
  }
}
