// Placeholder until the register handler lands.
export const handler = async (): Promise<void> => {};
