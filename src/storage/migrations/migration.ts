/** One schema step. Released migrations are never edited: a change is a new migration. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}
