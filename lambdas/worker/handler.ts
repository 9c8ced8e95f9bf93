// Placeholder until the worker handler lands.
export const handler = async (): Promise<void> => {};
