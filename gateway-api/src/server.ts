export { loadConfig, ConfigError, type Config } from './config.js';
export { startGateway, type Gateway } from './main.js';
