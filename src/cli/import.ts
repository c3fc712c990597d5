export async function importCommand(_a: string[]): Promise<number> { return 1; }
