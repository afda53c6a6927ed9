/** Row types of the email-flows capability's tables (its migration in db/migrations/). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface EmailFlowsTables {}
