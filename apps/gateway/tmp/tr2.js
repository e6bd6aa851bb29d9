require('../../../tools/test-support/ts-register.js');
const {runSocScenario,socScenarios}=require('../src/engine/soc-validation.ts');
(async()=>{const sc=socScenarios().find(s=>s.name===process.argv[2]);const r=await runSocScenario(sc,Number(process.argv[3]));console.log(r.worstSocError,r.worstSigned,r.wrongModeShare);})();
