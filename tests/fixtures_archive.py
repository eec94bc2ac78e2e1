"""A small, real archive for the publishing tests (no mocks).

``build_archive(root)`` writes, under ``root``:
  warc/union-20261121000000-00000.warc.gz   a real WARC (warcio): warcinfo + one response
                                             record per document, HTTP headers and HTML body
  warc/union-20261121000100-00001.warc.gz.open  a WARC still being written (must not be served)
  secret.txt, warc/escape.warc.gz -> ../secret.txt   targets for the traversal tests
  archive.db   through ``archive.store.schema.connect``: crawls, captures and documents rows
               pointing at those records, indexed with ``archive.store.search.index_documents``
and returns an ``Archive`` with the paths and the document dicts.

The texts are excerpts of the three real report captures in /work/shared/seeds (one in
Traditional script), plus short documents made to probe the search (near misses such as
工人会议 for 工会, a paragraph break inside 工\\n会, mixed ASCII), a pair of duplicates
and a document whose title and body carry a <script> payload.
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.store import schema as store
from archive.store import search
from tests.conftest import CLI
from tests.processes import answering, free_port

WARC_NAME = "union-20261121000000-00000.warc.gz"
OPEN_WARC_NAME = "union-20261121000100-00001.warc.gz.open"
XSS = "<script>alert(1)</script>"

SIMING = (
    "思明区目前有基层工会3021家,覆盖单位13949家,工会组建率达81%;工会会员237252人,职工入会率达87%,其"
    "中非公有制企业和社会经济组织会员约21.09万人,约占89%。近年来,在市委、市总工会的正确领导下,思明区认真贯彻落实省"
    "、市委关于加强和改进新形势下党对工会工作领导的意见要求,持续强化领导,营造环境,打造平台,不断推动工会工作在全区经济社会"
    "发展中展现新作为。\n"
    "一、强化领导、营造环境,全力保障工会工作顺利开展\n"
    "思明区委充分发挥党委“总揽全局、协调各方”的领导核心作用,切实把工会工作摆在全区工作的重要位置,不断提升和改进党对工会工"
    "作指导,全力支持和保障区工会顺利开展工作。\n"
    "1、倍加重视。一是高规格配备班子。成立了由区委书记亲任组长的区工会工作领导小组和区劳模领导小组,安排两名区委领导分管工会"
    "工作,由区委副书记任区工会主席,十个街道工会主席全部由街道党工委副书记兼任,95个社区工会主席全部由同级党委、总支、支部"
    "副书记兼任,129家机关事业和国有企业工会主席全部由单位正、副职担任,所有“两新”组织工会主席均由企业中层以上领导担任。"
    "二是定周期研究工作。区委常委会每年至少两次专题听取区工会工作情况汇报,区政府每年召开一次工会联席会议,区委坚持把工会工作"
    "目标任务纳入《区委党建工作要点》和《党建工作责任书》,把工会工作与经济、民生、稳定和党的建设各项事业同部署、同检查、同落"
    "实。三是严要求贯彻执行。重视抓好上级有关工会工作部署的贯彻落实,每次中央以及省、市委工会工作会及重要会议召开以后,都及时"
    "组织传达学习,结合实际提出贯彻意见,吸纳后研究制定了贯彻《中华人民共和国工会法》的实施意见及中央《关于加强和改进新形势下"
    "党对工会工作领导的实施意见》等,确保中央、省、市部署能一竿到底,落到实处。\n"
    "2、倍加支持。一是支持参与决策。区委常委会和区政府常务会研究重要议题时,均吸收区工会领导参加;区委党建工作领导小组明确将"
    "区工会常务副主席纳为成员,定期参与研究区委党建工作重大事项;区人大将工会常务副主席纳入常委成员,区政协在政协委员中安排7"
    "个工会界别名额,支持工会参政议政、建言献策。二是支持开展维权。建立了政府人力资源和社会保障部门、工会、企业代表组织组成的"
    "劳动关系三方协商会议制度,坚持和完善政府相关部门与工会共同参加的维护职工合法权益联席会议制度,各部门联手解决职工反映的突"
    "出问题。三是支持督促工作。区委将工会工作纳入党建工作“月巡查”和党建责任制及党风廉政建设责任制考核,并邀请区工会参加每年"
    "的检查和考核;区人大、区政府组织开展的劳动法律法规执法检查和区政协开展的专项视察活动,都邀请区工会负责同志参加,为督促工"
    "会工作落实创造良好条件。\n"
    "3、倍加保障。一是硬件保障到位。对区工会的办公场所、办公自动化、车辆使用等方面与同级党政机关部门基本同等配置。把困难职工"
    "帮扶中心建设纳入社会救助体系,形成区、街、社区三级帮扶网络。二是财政保障到位。区、街每年为工会工作投入足额资金,实现“三"
    "个确保”,即确保职工医疗互助保障工作顺利开展,确保职工帮扶中心纳入政府公共服务体系、享受相应优惠政策,确保经常性工作的顺"
    "利开展。仅2011年就投入134.39万元作为工会经费,有力保障了工会工作的有效运转。三是队伍保障到位。注重选配一批优秀"
    "中青年干部充实到工会,有意识地加大对区工会年轻干部的培养锻炼;组建了百名由律师、工会干部和职工代表参与的法律维权志愿者,"
    "深入企业排查分析影响职工队伍稳定的因素,特别是敏感行业和困难企业,重点把握职工思想动态,及时发现和化解矛盾。\n"
    "二、强化引导、打造平台,全力促进工会组织展现作为\n"
    "充分发挥工会组织联系群众广、扎根群众深的优势,主动融入中心工作,积极参与“五大战役”和幸福思明建设,在经济社会事业发展中"
    "勇担重任、展现作为。\n"
    "1、在服务发展中促作为。积极引导各级工会组织立足本职、服务发展,深入开展“走百企”活动,全面走访辖内企业,详细了解企业在"
    "用工方面的需求和生产方面遇到的困难,并及时帮助协调解决相关问题。围绕重点建设项目战役和新增长区域发展战役,以创建“工人先"
    "锋号”为主要载体,以思明区工业园区和环东海域等重点工程建设项目为基地,开展“五大主题”竞赛活动,举办劳动竞赛、技术比武、"
    "“能工巧匠”评选等,鼓励企业职工创新技术,助推企业发展,为经济社会发展建功立业。在各项活动中,我区涌现出了全国劳模姜秋月"
    ",省级“五一”劳动奖章王琼珍,市级“五一”劳动奖章吴永生、邹剑寒等一批先进典型。\n"
    "2、在维护稳定中促作为。"
)

GUANGYUAN = (
    "今年以来,我市各级工会组织深入学习贯彻党的十七大、中国工会十五大和市六次党代会、省总十二届四次全委会精神,按照“高位求进"
    "、加快发展”的要求,确立了“建四好班子、创一流工作、建和谐机关”工作目标和“两项工程、三大行动、四个重点”的总体思路,狠"
    "抓各项工作落实,为实现“十二五”发展良好开局、加快建设川陕甘结合部经济文化生态强市做出了积极贡献。\n"
    "现将我市工会工作情况和明年工作打算作一简要汇报。\n"
    "一、2011年工会工作的主要情况\n"
    "按照省总下达的年度工作目标任务,市县工会坚持围绕中心,服务大局,突出重点,攻坚破难,各项工作稳步推进,取得了明显成效,\n"
    "(一)围绕中心,深化建功立业活动\n"
    "劳动竞赛活动蓬勃开展。\n"
    "紧紧围绕“当好主力军、建功十二五”主题劳动竞赛活动,广泛开展了群众性经济技术创新活动和合理化建议活动。\n"
    "以“十万职工大竞技”为载体,在全市重点企业、重点行业中组织开展了职工技能大赛。\n"
    "制定了《广元市2011—2015年劳动竞赛规划》,与市委创先争优活动领导小组联合发出了《关于认真学习贯彻市第六次党代会精"
    "神深入推进工会组织和广大职工创先争优活动的通知》,通过召开劳动竞赛动员会、现场会,举办重点工程、重大项目专项劳动竞赛,把"
    "创先争优劳动竞赛进一步引向深入。\n"
    "全市参赛职工达10万人次,参赛企业面达90%以上。\n"
    "命名表彰了市级“工人先锋号”60个、“职工创先争优标兵”50名。\n"
    "“安康杯”竞赛活动扎实推进。\n"
    "深入开展“安全生产月”和“百日安全生产”活动,通报表彰了26名先进个人和10个先进集体。\n"
    "大力开展学习“白国周班组管理法”、争创“十佳三优”活动,1个班组、1名班组长获得全省“十佳”称号,4个单位、5个班组荣获"
    "全省“安康杯”竞赛先进集体。\n"
    "积极参与安全生产事故调查处理和职业病防治工作,及时有效处置网络舆情,对我市旺苍、苍溪在凉山州甘洛县铅锌矿等处务工人员情况"
    "进行了调查摸底,慰问了尘肺病患者陈久红等农民工,并向市委和省总报送了专题报告。\n"
    "劳模先进精神大力弘扬。\n"
    "推荐评选了全国、省“五一劳动奖章”6人、“省五一劳动奖状”1个。\n"
    "及时将受到省委表彰的13名优秀基层党组织书记、13名优秀共产党员和4名优秀党务工作者纳入省劳模管理。\n"
    "先后召开了迎新春和庆五一劳模代表座谈会,走访慰问劳模556人,发放全国劳模“三金”和省、市劳模困难补助金、慰问金76.2"
    "万元。\n"
    "组织劳模春节观赏灯会、参观“三基地一窗口”建设、赴新疆疗休养、开展免费体检,利用市内多家新闻媒体广泛宣传劳模典型事迹和劳"
    "动者风采。\n"
    "隆重举办了四川省劳动模范先进事迹巡回报告会,1000多名职工认真听取了劳模先进事迹报告。\n"
    "形势任务教育切实加强。\n"
    "以纪念建党90周年为契机,突出“工人阶级永远跟党走”宣传主题,着力加强职工形势政策任务教育,精心组织开展了庆五一、纪念汶"
    "川大地震三周年和建党90周年系列庆祝活动,组织干部职工唱红歌感党恩,赴红色景点和生产一线参观学习,观看《建党伟业》等红色"
    "影视作品,举办了主题党课讲座,充分展现了全市职工群众爱党爱国、感恩奋进的良好风貌。\n"
    "(二)攻坚破难,扎实推进“两个普遍”\n"
    "强化领导,明确目标。\n"
    "成立了推进“两个普遍”工作领导小组,将“两个普遍”的有关要求纳入全市“十二五”规划和党代会、人代会工作报告。\n"
    "按照全总、省总部署,进一步细化三年规划及年度目标任务,分别同县区、产业、开发区工会签订推进“两个普遍”目标责任书,制定了"
    "考核办法,实行专项考核。\n"
    "多措并举,合力推进。\n"
    "先后召开全市“两个普遍”阶段性工作会、现场推进会,举办专题培训班,实行挂图作战,促进目标任务的进一步落实。\n"
    "组成督查组赴各县区、产业工会进行专项督查,兑现了工会组建和工资集体协商奖金30多万元,形成了激励约束机制。\n"
    "坚持突出重点、突破难点,狠抓建设领域等重点行业和经济开发区等重点区域的建会和集体协商工作。\n"
    "实施工资集体协商“攻坚年”和“集中要约月”行动,各级工会共向企业行政发出要约696份,提请劳动部门进行监察处理62份。\n"
    "市县工会组建了工资集体协商指导员专业队伍,市总聘用了3名工资集体协商专职指导员。\n"
    "实行市总机关干部联系市属重点企业工会制度,由班子成员牵头、职能部门和工会律师团委派律师包片驻点,协助企业推进“两个普遍”"
    ",打造示范亮点。\n"
    "狠抓落实,初见成效。\n"
    "“广普查、深组建、全覆盖”集中行动扎实推进,企业工资集体协商工作取得阶段性成效,如期完成了省总下达的“两个普遍”年度目标"
    "任务。"
)

DISTRICT_HANT = (
    "在區委和市總工會的領導下,全區工會工作以習近平新時代中國特色社會主義思想為統領,緊扣全省工會“五個年”工作部署,主動將工"
    "會工作融入到市、區黨委政府中心工作,從職工根本利益和實際需求出發,推進重點工作落實落地,推動實現工會品牌更亮、工會服務更"
    "強、工會改革更實。現將全區工會工作匯報如下:\n"
    "一、著力思想引領,宣傳教育更加有力。\n"
    "一是堅持思想政治引領。\n"
    "按照區委常委會專題研究部署的《關于落實中央、省、市《關于加強和改進產業工人隊伍思想政治工作的具體舉措》的通知》精神要求,"
    "區總工會認真落實意識形態工作責任制,加大了產業工人隊伍思想政治建設教育,制定了X區新時代產業工人隊伍思想政治工作培訓計劃"
    "。邀請省總干校戴春教授以《學習貫徹十九屆五中全會精神,在推動實現十四五規劃目標中展現工會的作為》為題,為轄區X名產業工人"
    "代表詳細講解了十九屆五中全會精神。二是弘揚勞模精神引領。認真做好省級勞模、先進工作者的推薦工作。2021年成功推選了X、"
    "XX名同志為X省勞動模范和先進工作者。開展勞模“云講堂”,在“X工會”微信公眾號上發布了X期勞模宣講視頻。三是加強精神文"
    "明引領。開展了為職工送圖書、送電影、送春聯的“文化惠職工·幫扶再提質”系列活動,結合“五一工人階級宣傳月”活動,組織了慶"
    "“五一”職工短視頻大賽和線上有獎答題競賽,X月組織了歷時X天的第四屆“天工杯”職工籃球運動會。積極引導全區各基層工會以“"
    "職工書屋”為平臺,倡導全民閱讀,成功推薦了XX酒店為市級職工書屋示范點、書香企業,并對X家職工書屋予以命名為X區職工書屋"
    "示范點,專項以獎代撥X家基層職工書屋更新補充圖書X萬元。二、帶頭擔當作為,助力防疫復工。\n"
    "一是高站位落實,強化組織領導。\n"
    "區總工會制定了《關于新型冠狀病毒感染的肺炎疫情防控工作方案》,成立了主要領導為組長的疫情防控工作領導小組,統籌協調、指導"
    "全區工會系統有序開展疫情防控工作。區總機關干部提前結束春節假期返崗工作,組成黨員先鋒隊支援XX新村防疫一線。二是高效率宣"
    "傳,強化正面引導。疫情期間,利用官方網站、微信公眾號廣泛宣傳奮戰在抗擊疫情一線的先進典型、先進事跡。復工復產后,發出《全"
    "區工會組織關于響應“大干一百天,實現雙過半”促進消費擴容提質的倡議書》,在全區職工隊伍中形成了萬眾一心抗擊疫情、齊心協力"
    "復工復產的濃厚氛圍。三是高標準服務,助力打贏防疫戰。新冠肺炎疫情發生以來,區總工會設立專項資金,分兩批投入X萬元專項資金"
    "用于發放職工“抗疫”特別慰問消費券及企業工會復工復產、“大干一百天,實現雙過半”助力行動,對區衛健局、奧克消毒科技有限公"
    "司、XX王府井、林勝快遞等X家單位工會發放慰問金X萬元,指導企業工會為職工采購疫情防控物資、防護物品等。出臺“致敬抗疫英"
    "雄,駕培優惠補助”消費、培訓活動方案,在“二優一困”會員職工“三年行動”計劃的基礎上,XXXX年新增“抗疫英雄駕培全補助"
    "”的舉措。在推動服務業“促發展·助消費·穩就業”中,區總工會安排了X萬元專項經費用于為職工發放“清涼一夏”X職工冰雪文化"
    "節消費券。成立了“X區職工(企業類)志愿者隊伍”,建立了首批X家企業、X余名職工報名加入的職工志愿者隊伍,并開展了防疫執"
    "勤、配送蔬菜、愛心義剪等志愿服務活動。三、緊扣發展大局,主力軍作用不斷彰顯。\n"
    "一是全面助力X經濟發展。\n"
    "圍繞“優化營商環境”工作部署,X月,區總工會出臺了《關于鼓勵全區法人單位開展職工勞動競賽的實施細則》,安排專項經費X萬元"
    ",指導全區企事業單位職工在實施“融城核心,智慧X”目標任務中充分發揮主力軍作用。"
)

CRAWLS = [
    dict(
        id="20261120T100000-a1",
        started_at="2026-11-20T10:00:00Z",
        finished_at="2026-11-20T10:05:00Z",
        start_urls="http://www.xmgh.org/",
        pages=6,
        documents=3,
        reports=2,
        errors=1,
        status="finished",
        new_documents=3,
        changed=0,
        unchanged=0,
    ),
    dict(
        id="20261121T000000-b2",
        started_at="2026-11-21T00:00:00Z",
        finished_at="2026-11-21T00:10:00Z",
        start_urls="http://www.xmgh.org/ http://www.gyzgh.org.cn/",
        pages=17,
        documents=11,
        reports=5,
        errors=0,
        status="finished",
        new_documents=8,
        changed=1,
        unchanged=2,
    ),
]
LATEST_CRAWL = CRAWLS[1]["id"]

_SIM = dict(encoding="utf-8", script="Hans", placeholders=None, crawl_id=LATEST_CRAWL)
DOCS = [
    dict(
        _SIM,
        key="siming",
        url="http://www.xmgh.org/ztzl/jyjl/201205/t20120516_1.html",
        title="强化组织保障 发挥优势作用 激发工会在思明强区建设中的无限活力(思明区委)",
        text=SIMING,
        published_date="2012-05-16",
        report_date="2012-05-16",
        year=2012,
        org="中共厦门市思明区委",
        region="福建省厦门市",
        doc_type="经验交流",
        is_report=1,
        report_score=0.91,
    ),
    dict(
        _SIM,
        key="guangyuan",
        url="http://www.gyzgh.org.cn/gzdt/2011/1101.html",
        title="关于全市工会工作情况的汇报",
        text=GUANGYUAN,
        published_date="2011-11-01",
        report_date="2011-11-01",
        year=2011,
        org="广元市总工会",
        region="四川省广元市",
        doc_type="工作汇报",
        is_report=1,
        report_score=0.95,
    ),
    dict(
        _SIM,
        key="district",
        url="http://zgh.example-district.gov.cn/gzzj/2021.html",
        title="2021年度总工会工作总结",
        text=None,
        published_date="2022-01-10",
        report_date="2022-01-05",
        year=2021,
        org="区总工会",
        region="广东省广州市",
        doc_type="工作总结",
        is_report=1,
        report_score=0.97,
        script="Hant",
        encoding="big5",
    ),
    dict(
        _SIM,
        key="hant_raw",
        url="http://zgh.example-district.gov.cn/news/0315.html",
        title="區總工會勞模座談會紀要",
        text="區總工會召開勞模座談會，二十名勞模參加。\n會議由工會主席主持。",
        published_date="2021-03-15",
        report_date=None,
        year=2021,
        org="区总工会",
        region="广东省广州市",
        doc_type="纪要",
        is_report=0,
        report_score=0.2,
        script="Hant",
        encoding="big5",
    ),
    dict(
        _SIM,
        key="xss",
        url="http://www.xmgh.org/tzgg/2022/0601.html",
        title=XSS + "工会通知",
        text=XSS + "\n<img src=x onerror=alert(2)>职工之家建设通知\n请各基层工会按时报送材料。",
        published_date="2022-06-01",
        report_date=None,
        year=2022,
        org="厦门市总工会",
        region="福建省厦门市",
        doc_type="通知",
        is_report=0,
        report_score=0.1,
    ),
    dict(
        _SIM,
        key="near_miss",
        url="http://www.gyzgh.org.cn/gzdt/2012/0302.html",
        title="工人会议纪要",
        text="工人会议于周一召开。\n劳动模范座谈。\n工资协商会议。",
        published_date="2012-03-02",
        report_date=None,
        year=2012,
        org="广元市总工会",
        region="四川省广元市",
        doc_type="纪要",
        is_report=0,
        report_score=0.3,
    ),
    dict(
        _SIM,
        key="line_break",
        url="http://www.gyzgh.org.cn/gzdt/2012/0303.html",
        title="简讯",
        text="今天开工\n会场布置完毕。",
        published_date="2012-03-03",
        report_date=None,
        year=2012,
        org="广元市总工会",
        region="四川省广元市",
        doc_type="新闻",
        is_report=0,
        report_score=0.1,
    ),
    dict(
        _SIM,
        key="mixed",
        url="http://app.example-union.org/news/2022/app.html",
        title="“职工之家”APP上线",
        text="5G+工会服务平台上线，2022年覆盖全市职工。",
        published_date="2022-09-09",
        report_date=None,
        year=2022,
        org="市总工会",
        region="福建省厦门市",
        doc_type="新闻",
        is_report=0,
        report_score=0.2,
    ),
    dict(
        _SIM,
        key="dup_a",
        url="http://www.xmgh.org/gzdt/2021/0420.html",
        title="工资集体协商要约行动启动",
        text="工资集体协商要约行动启动，推动企业建立工资集体协商制度。",
        published_date="2021-04-20",
        report_date=None,
        year=2021,
        org="厦门市总工会",
        region="福建省厦门市",
        doc_type="新闻",
        is_report=0,
        report_score=0.4,
    ),
    dict(
        _SIM,
        key="dup_b",
        url="http://www.gyzgh.org.cn/zz/2021/0421.html",
        title="工资集体协商要约行动启动",
        text="工资集体协商要约行动启动，推动企业建立工资集体协商制度。",
        published_date="2021-04-21",
        report_date=None,
        year=2021,
        org="厦门市总工会",
        region="福建省厦门市",
        doc_type="新闻",
        is_report=0,
        report_score=0.4,
        cluster="dup_a",
    ),
    dict(
        _SIM,
        key="books",
        url="http://www.xmgh.org/zgsw/2020/1101.html",
        title="职工书屋",
        text="职工书屋新增图书三百册。",
        published_date="2020-11-01",
        report_date=None,
        year=2020,
        org="厦门市总工会",
        region="福建省厦门市",
        doc_type="新闻",
        is_report=0,
        report_score=0.1,
        crawl_id=CRAWLS[0]["id"],
    ),
]


@dataclass
class Archive:
    root: Path
    db_path: Path
    warc_dir: Path
    warc_path: Path
    docs: dict[str, dict] = field(default_factory=dict)  # key -> documents row

    def doc(self, key: str) -> dict:
        return self.docs[key]


def _html(title: str, text: str) -> bytes:
    import html

    paras = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n"))
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}'
        f"</title></head><body><h1>{html.escape(title)}</h1>{paras}</body></html>"
    ).encode()


def _write_warc(path: Path, docs: list[dict]) -> dict[str, tuple[int, int]]:
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(
            writer.create_warcinfo_record(
                path.name, {"software": "union-archive tests", "format": "WARC File Format 1.1"}
            )
        )
        for d in docs:
            body = _html(d["title"], d["text"])
            headers = StatusAndHeaders(
                "200 OK",
                [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
                protocol="HTTP/1.1",
            )
            writer.write_record(
                writer.create_warc_record(
                    d["url"],
                    "response",
                    payload=io.BytesIO(body),
                    http_headers=headers,
                    warc_headers_dict={"WARC-Date": "2026-11-21T00:01:00Z"},
                )
            )
    where = {}
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        for rec in it:
            if rec.rec_type == "response":
                uri = rec.rec_headers.get_header("WARC-Target-URI")
                rec.content_stream().read()
                where[uri] = (it.get_record_offset(), it.get_record_length())
    return where


def document_row(
    spec: dict, warc_name: str, offset: int, length: int, ids: dict[str, str] | None = None
) -> dict:
    row = {k: v for k, v in spec.items() if k in store.DOCUMENT_COLUMNS}
    row.update(
        id=store.document_id(spec["url"]),
        part=0,
        site=spec["url"].split("/")[2],
        source_url=spec["url"],
        warc_filename=warc_name,
        warc_offset=offset,
        warc_length=length,
        captured_at="2026-11-21T00:01:00Z",
    )
    row["cluster_id"] = (ids or {}).get(spec.get("cluster"), row["id"])
    return row


def build_archive(root: str | Path) -> Archive:
    from archive.extract.normalize import to_simplified

    root = Path(root)
    warc_dir = root / "warc"
    warc_dir.mkdir(parents=True, exist_ok=True)
    specs = [dict(d) for d in DOCS]
    for s in specs:
        if s["text"] is None:  # the Traditional report, converted as the extractor does
            s["text"] = to_simplified(DISTRICT_HANT)
    warc_path = warc_dir / WARC_NAME
    where = _write_warc(warc_path, specs)
    (warc_dir / OPEN_WARC_NAME).write_bytes(warc_path.read_bytes()[:200])
    (root / "secret.txt").write_text("not for the web\n")
    (warc_dir / "escape.warc.gz").symlink_to(root / "secret.txt")

    db = store.connect(root / "archive.db")
    search.ensure_search(db)
    db["crawls"].insert_all(CRAWLS, pk="id")
    ids: dict[str, str] = {}
    rows = []
    for _n, s in enumerate(specs):
        off, length = where[s["url"]]
        row = document_row(s, WARC_NAME, off, length, ids)
        ids[s["key"]] = row["id"]
        rows.append(row)
        db["captures"].insert(
            dict(
                url=s["url"],
                status=200,
                content_type="text/html; charset=utf-8",
                encoding=s["encoding"],
                warc_filename=WARC_NAME,
                warc_offset=off,
                warc_length=length,
                fetched_at="2026-11-21T00:01:00Z",
                crawl_id=s["crawl_id"],
                record_type="response",
                depth=1,
                referrer=None,
            )
        )
    db["captures"].insert(
        dict(
            url="http://www.xmgh.org/robots.txt",
            status=404,
            crawl_id=LATEST_CRAWL,
            record_type="response",
            fetched_at="2026-11-21T00:00:30Z",
        )
    )
    db["documents"].insert_all(rows, pk="id")
    search.index_documents(db, rows)
    db.conn.close()
    return Archive(
        root=root,
        db_path=root / "archive.db",
        warc_dir=warc_dir,
        warc_path=warc_path,
        docs={s["key"]: r for s, r in zip(specs, rows)},
    )


def add_document(db_path: str | Path, key: str, title: str, text: str, **extra) -> dict:
    """Write one more document through a separate connection (as a running crawl would)."""
    url = f"http://www.xmgh.org/new/{key}.html"
    spec = dict(
        _SIM,
        key=key,
        url=url,
        title=title,
        text=text,
        year=2026,
        region="福建省厦门市",
        doc_type="新闻",
        is_report=0,
        org="厦门市总工会",
        **extra,
    )
    row = document_row(spec, WARC_NAME, 0, 0)
    db = store.connect(db_path)
    try:
        db["documents"].upsert(row, pk="id")
        search.index_documents(db, [row])
    finally:
        db.conn.close()
    return row


def add_filler_documents(arch: Archive, n: int) -> None:
    """``n`` more documents like "books", each 30 paragraphs drawn (seeded) from two reports:
    every one of them holds the common words of union reports."""
    import random

    paras = [p for key in ("siming", "guangyuan") for p in arch.doc(key)["text"].split("\n") if p]
    rnd = random.Random(7)
    rows = [
        document_row(
            dict(
                arch.docs["books"],
                url=f"http://www.xmgh.org/n/{i}.html",
                text="\n".join(rnd.choices(paras, k=30)),
            ),
            WARC_NAME,
            0,
            0,
        )
        for i in range(n)
    ]
    db = store.connect(arch.db_path)
    try:
        db["documents"].insert_all(rows, pk="id")
        search.index_documents(db, rows)
    finally:
        db.conn.close()


@contextmanager
def serving(root: str | Path, *extra: str):
    """`union-archive serve --data ROOT` on a free loopback port; yields the base URL."""
    root = Path(root)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [*CLI, "serve", "--data", str(root), "--port", str(port), *extra]
    with answering(cmd, base + "/", root / f"serve-{port}.log", "union-archive serve", 30):
        yield base
