/** Names of the databases Vox's tables are written for. */

/** SQL dialects Vox's tables are written for. */
export type SqlDialectName = 'sqlite' | 'postgres';
