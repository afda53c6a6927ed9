/** Row types of the oauth capability's tables (its migration in db/migrations/). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface OauthTables {}
