// `kirchhoff config check FILE`: validate a configuration without starting anything: everything
// start would refuse (the schema, the checks across keys, ports and serial lines in conflict, the
// certificate and key files it names), and what start would warn about.
import { parseArgs } from 'node:util';
import { applySets, ConfigError, finishConfig, readConfigFile } from '../config/load';
import { unreadableFiles } from '../config/files';
import { configFiles, startWarnings } from '../config/start-checks';
import { enabledAdapters } from '../adapters/run';
import { CliCommand, UsageError } from './types';

export const configCheckCommand: CliCommand = {
  name: 'config check',
  summary: 'validate a configuration file and print every problem',
  usage: 'usage: kirchhoff config check FILE [--set key=value]...',
  async run(argv, io) {
    const { values, positionals } = parseArgs({ args: argv, options: { set: { type: 'string', multiple: true } }, allowPositionals: true, strict: true });
    if (positionals.length !== 1) throw new UsageError('config check needs exactly one FILE');
    try {
      const config = finishConfig(applySets(readConfigFile(positionals[0]), values.set ?? []));
      const files = unreadableFiles(configFiles(config));
      if (files.length) throw new ConfigError(files, positionals[0]);
      const modules = config.strings.reduce((n, s) => n + s.modules, 0);
      const on = enabledAdapters(config);
      for (const w of startWarnings(config)) io.err(`warning: ${w}`);
      io.out(`${positionals[0]}: valid: ${config.strings.length} strings, ${modules} modules; services on: ${on.length ? on.join(', ') : 'none'}`);
      return 0;
    } catch (e) {
      if (e instanceof ConfigError) {
        io.err(e.message);
        return 1;
      }
      throw e;
    }
  },
};
