// Placeholder until the twilio-status handler lands.
export const handler = async (): Promise<void> => {};
