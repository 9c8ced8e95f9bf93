// Placeholder until the ingest handler lands.
export const handler = async (): Promise<void> => {};
