// Placeholder until the sweeper handler lands.
export const handler = async (): Promise<void> => {};
