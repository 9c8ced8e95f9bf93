// Placeholder until the admin handler lands.
export const handler = async (): Promise<void> => {};
