require('../../../tools/test-support/ts-register.js');
const {runSocScenario,socScenarios}=require('../src/engine/soc-validation.ts');
(async()=>{const sc=socScenarios().find(s=>s.name===process.argv[2]);
const from=Number(process.env.FROM||0), every=Number(process.env.EVERY||120);
const r=await runSocScenario(sc,Number(process.argv[3]),(sim,t)=>{const snap=sim.site.snapshot();
 if (t<from || t%every) return;
 const out=[];
 for (let si=0;si<2;si++){ let minV=99,ming=0; for(let g=si*12+1;g<=si*12+12;g++){const v=sim.physics.truth(g).voltageV; if(v<minV){minV=v;ming=g;}}
  const st=sim.engines.soc.strings?.[si]; out.push(`fit ${st && st.fitCutoffAh!==null ? st.fitCutoffAh.toFixed(1):"-"} ah ${st?st.ahOut.toFixed(1):"-"} `); out.push(`s${si+1} I ${snap.strings[si].dcCurrentA.value} soc ${snap.strings[si].socPercent.value} aut ${snap.strings[si].autonomyMin.value} minV ${minV.toFixed(3)}@${ming}`);}
 console.log(t, out.join(' | '));
});
console.log(r.runtimesMin, r.medianAutonomyError, r.worstAutonomyError);})();
