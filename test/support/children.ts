import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Child Carnet processes for the multi-process tests: the parent starts a script and waits for its READY
 * line; the child announces itself and closes cleanly on SIGTERM/SIGINT (SIGKILL is the crash under test).
 */
export async function spawnReady(script: string, env: NodeJS.ProcessEnv, children: Set<ChildProcess>): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  let output = '';
  await new Promise<void>((ready, fail) => {
    proc.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('READY')) ready();
    });
    proc.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    proc.once('exit', (code) => fail(new Error(`the child exited (${code}) before it was ready:\n${output}`)));
  });
  return proc;
}

/** In the child: says READY, and closes Carnet then exits on SIGTERM or SIGINT. */
export function announceReady(carnet: { close(): Promise<void> }): void {
  process.stdout.write('READY\n');
  const stop = async () => {
    await carnet.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}
