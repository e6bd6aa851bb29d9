require('../../../tools/test-support/ts-register.js');
const {runSocScenario,socScenarios}=require('../src/engine/soc-validation.ts');
(async()=>{const sc=socScenarios().find(s=>s.name===process.argv[2]);
let worst={e:0};
const r=await runSocScenario(sc,Number(process.argv[3]),(sim,t)=>{const snap=sim.site.snapshot();
 for(let g=1;g<=sim.physics.moduleCount;g++){const est=snap.modules[g-1].socPercent.value;const tr=sim.physics.truth(g);const e=est-tr.socPercent;
  if((snap.strings[g>12?1:0].dcCurrentA.value<0) && Math.abs(e)>Math.abs(worst.e)) worst={e,g,t,est,truth:tr.socPercent,cap:tr.capacityAh,v:tr.voltageV, i: snap.strings[g>12?1:0].dcCurrentA.value};
 }
 if (process.env.G) { const g=Number(process.env.G); const tr=sim.physics.truth(g); if (t%(Number(process.env.EVERY)||120)===0) console.log(t, snap.modules[g-1].socPercent.value, tr.socPercent.toFixed(1), tr.voltageV.toFixed(3), snap.strings[g>12?1:0].autonomyMin.value); }
});
console.log(r.worstSocError,r.worstSigned,JSON.stringify(worst), r.runtimesMin);})();
